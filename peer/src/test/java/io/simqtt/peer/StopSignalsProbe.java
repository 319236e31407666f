package io.simqtt.peer;

import java.util.concurrent.CountDownLatch;

/** A child-process main that exercises {@link StopSignals} without a broker. */
public final class StopSignalsProbe {

  private StopSignalsProbe() {}

  public static void main(String[] args) throws InterruptedException {
    CountDownLatch stop = new CountDownLatch(1);
    StopSignals.install(stop::countDown);
    System.out.println("ready");
    stop.await();
    System.out.println("stopping");
    System.exit(0);
  }
}
