package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NodeRunnerTest {

  @Test
  void urlsCanBePastedIntoAClient() {
    assertEquals("tcp://0.0.0.0:1883", NodeRunner.tcpUrl("0.0.0.0", 1883));
    assertEquals("tcp://[::1]:1884", NodeRunner.tcpUrl("::1", 1884));
  }

  @Test
  void argumentsKnowTheirOptions() {
    assertEquals(new Arguments(false, false),
        Arguments.parse(new String[] {"--config", "x.conf", "--config=y.conf"}));
    assertEquals(new Arguments(true, true), Arguments.parse(new String[] {"-h", "--version"}));
  }
}
