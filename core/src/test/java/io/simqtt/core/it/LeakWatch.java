package io.simqtt.core.it;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Netty's leak detector at PARANOID for one test, its reports caught through logback. Opening
 * one leaks a buffer on purpose and waits for its report, so a test that finds no leak knows the
 * detector would have told it; {@link #reports} then collects what the test itself leaked.
 */
public final class LeakWatch implements AutoCloseable {
  private final ResourceLeakDetector.Level previousLevel;
  private final Logger leakLogger;
  private final LeakAppender leaks = new LeakAppender();

  private LeakWatch() throws InterruptedException {
    assertInstanceOf(LoggerContext.class, LoggerFactory.getILoggerFactory(),
        "leak reports are caught through logback");
    previousLevel = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    leakLogger = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
    leaks.setContext(leakLogger.getLoggerContext());
    leaks.start();
    leakLogger.addAppender(leaks);
    leakOneBuffer();
    collect(Duration.ofSeconds(10), true);
    assertTrue(!leaks.reports.isEmpty(), "the leak detector did not report a deliberate leak");
    leaks.reports.clear();
  }

  /** Turns PARANOID detection on and proves it reports. */
  public static LeakWatch start() throws InterruptedException {
    return new LeakWatch();
  }

  /** The leaks reported after collecting garbage for {@code time}. */
  public List<String> reports(Duration time) throws InterruptedException {
    collect(time, false);
    return List.copyOf(leaks.reports);
  }

  @Override
  public void close() {
    leakLogger.detachAppender(leaks);
    leaks.stop();
    ResourceLeakDetector.setLevel(previousLevel);
  }

  private static void leakOneBuffer() {
    ByteBuf b = ByteBufAllocator.DEFAULT.directBuffer(16);
    b.writeInt(42);
    // dropped without release
  }

  /** GC and allocate until a report arrives ({@code untilOne}) or {@code time} passes. */
  private void collect(Duration time, boolean untilOne) throws InterruptedException {
    long deadline = System.nanoTime() + time.toNanos();
    while (System.nanoTime() < deadline && !(untilOne && !leaks.reports.isEmpty())) {
      System.gc();
      Thread.sleep(50);
      // Leaks are reported when the detector tracks a new buffer.
      for (int i = 0; i < 50; i++) {
        ByteBufAllocator.DEFAULT.directBuffer(8).release();
        ByteBufAllocator.DEFAULT.heapBuffer(8).release();
      }
    }
  }

  /** Collects Netty's leak reports (logged at ERROR by ResourceLeakDetector). */
  private static final class LeakAppender extends AppenderBase<ILoggingEvent> {
    final List<String> reports = Collections.synchronizedList(new ArrayList<>());

    @Override
    protected void append(ILoggingEvent e) {
      String msg = e.getFormattedMessage();
      if (msg != null && msg.contains("LEAK")) {
        reports.add(msg.length() > 2000 ? msg.substring(0, 2000) : msg);
      }
    }
  }
}
