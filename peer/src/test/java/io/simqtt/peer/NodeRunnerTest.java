package io.simqtt.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class NodeRunnerTest {

  @Test
  void urlsCanBePastedIntoAClient() {
    assertEquals("tcp://0.0.0.0:1883",
        NodeRunner.tcpUrl(InetSocketAddress.createUnresolved("0.0.0.0", 1883)));
    String v6 = NodeRunner.tcpUrl(new InetSocketAddress("::1", 1884));
    assertTrue(v6.startsWith("tcp://[") && v6.endsWith("]:1884"), v6);
  }

  @Test
  void argumentsKnowTheirOptions() {
    assertEquals(new Arguments(false, false),
        Arguments.parse(new String[] {"--config", "x.conf", "--config=y.conf"}));
    assertEquals(new Arguments(true, true), Arguments.parse(new String[] {"-h", "--version"}));
  }
}
