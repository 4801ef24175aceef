package dev.streamfit.pipeline;

import java.util.concurrent.CountDownLatch;

/** Blocks until SIGINT/SIGTERM, then closes the given resources in order. */
public final class Shutdown {
  private Shutdown() {}

  public static void awaitSignal(AutoCloseable... resources) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopped.countDown();
      try {
        closed.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "streamfit-shutdown"));
    stopped.await();
    closeAll(resources);
    closed.countDown();
  }

  public static void closeAll(AutoCloseable... resources) {
    for (AutoCloseable r : resources) {
      if (r == null) {
        continue;
      }
      try {
        r.close();
      } catch (Exception e) {
        System.err.println("warning: closing " + r.getClass().getSimpleName() + ": " + e);
      }
    }
  }
}
