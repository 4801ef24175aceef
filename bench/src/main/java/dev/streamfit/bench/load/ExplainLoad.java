package dev.streamfit.bench.load;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client asking {@code POST /v1/predict?explain=true} back to back on its own connection, for as long as it is
 * open: the load an explaining user puts on a server, beside {@link ClosedLoop}'s ordinary clients. Counts answered
 * explanations and refusals (429: one explanation at a time). {@link #close} stops it.
 */
public final class ExplainLoad implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final Thread thread;

  /** Starts asking for explanations of {@code images} (in turn) on {@code port}. */
  public ExplainLoad(int port, List<byte[]> images) {
    thread = new Thread(() -> {
      try (RawHttpClient http = new RawHttpClient("127.0.0.1", port)) {
        for (int i = 0; running.get(); i++) {
          RawHttpClient.Response r = http.post("/v1/predict?explain=true", images.get(i % images.size()));
          (r.status() == 200 ? answered : refused).incrementAndGet();
        }
      } catch (Exception e) {
        if (running.get()) {
          System.err.println("explain load stopped: " + e);
        }
      }
    }, "bench-explain-load");
    thread.setDaemon(true);
    thread.start();
  }

  /** Explanations answered so far. */
  public long answered() {
    return answered.get();
  }

  /** Explanations refused so far (429). */
  public long refused() {
    return refused.get();
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    thread.join(30_000);
  }
}
