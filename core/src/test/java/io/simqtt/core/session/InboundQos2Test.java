package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.session.InboundQos2.Admission;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link InboundQos2}: which inbound QoS 2 PUBLISHes are routed, answered again or refused. */
class InboundQos2Test {

  @Test
  void aNewIdIsRecordedAndItsResendIsNotRoutedAgainUntilPubrel() {
    InboundQos2 t = new InboundQos2();
    assertEquals(Admission.NEW, t.admit(5, 10));
    assertEquals(Admission.RESEND, t.admit(5, 10));
    assertTrue(t.release(5));
    assertFalse(t.release(5), "a second PUBREL finds nothing");
    assertEquals(Admission.NEW, t.admit(5, 10), "after PUBREL the id is a new message");
  }

  @Test
  void beyondReceiveMaximumANewIdIsRefusedAndNotRemembered() {
    InboundQos2 t = new InboundQos2();
    assertEquals(Admission.NEW, t.admit(1, 2));
    assertEquals(Admission.NEW, t.admit(2, 2));
    assertEquals(Admission.OVER_QUOTA, t.admit(3, 2));
    assertEquals(Admission.RESEND, t.admit(2, 2), "open ones are still answered");
    assertEquals(Set.of(1, 2), t.snapshot(), "3 was not recorded");
    t.release(1);
    assertEquals(Admission.NEW, t.admit(3, 2), "its resend is a new message, not a duplicate");
  }

  @Test
  void itsStateIsTheOpenIdsAndIdsGivenBackJoinThem() {
    InboundQos2 t = new InboundQos2(List.of(1, 2));
    assertEquals(Admission.RESEND, t.admit(1, 10));
    t.admit(3, 10);
    t.addAll(Set.of(2, 4));
    assertEquals(Set.of(1, 2, 3, 4), t.snapshot());
  }
}
