package io.simqtt.core.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.simqtt.core.session.InboundQos2.Admission;
import java.util.ArrayList;
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

  @Test
  void resendAnswersWaitForTheFirstCopyToSettleAndOnlyItsOwnSettlementCounts() {
    InboundQos2 t = new InboundQos2();
    List<String> answered = new ArrayList<>();
    t.admit(7, 10);
    Runnable settle = t.unsettle(7);
    t.whenSettled(7, () -> answered.add("resend 1"));
    t.whenSettled(7, () -> answered.add("resend 2"));
    t.whenSettled(8, () -> answered.add("other id"));
    assertEquals(List.of("other id"), answered, "an id not unsettled is answered at once");

    settle.run();
    assertEquals(List.of("other id", "resend 1", "resend 2"), answered, "then, in order");
    t.whenSettled(7, () -> answered.add("resend 3"));
    assertEquals("resend 3", answered.get(3), "a settled id is answered at once");

    t.release(7);
    t.admit(7, 10);
    Runnable later = t.unsettle(7);
    settle.run(); // the first admission's settlement, run again late: not this one's
    t.whenSettled(7, () -> answered.add("new message's resend"));
    assertEquals(4, answered.size());
    later.run();
    assertEquals("new message's resend", answered.get(4));
  }
}
