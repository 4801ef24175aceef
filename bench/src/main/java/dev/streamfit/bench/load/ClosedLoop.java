package dev.streamfit.bench.load;

import static dev.streamfit.bench.report.Results.percentile;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load on {@code POST /v1/predict}: each client is one keep-alive HTTP/1.1 connection written and read
 * directly (like wrk or ab) that sends its next image as soon as the last answer arrives. On a small machine the load
 * generator shares the cores with the server, and the JDK's HttpClient costs more CPU per request (README, "Serving
 * latency and throughput"). Stateless.
 */
public final class ClosedLoop {
  /**
   * One load level's outcome.
   *
   * @param server which server configuration answered
   * @param seconds the measured window
   * @param p50 client-side latency percentiles, ms
   * @param meanBatch the server's mean micro-batch size as it reported
   */
  public record Level(String server, int clients, long requests, long errors, double seconds, double p50, double p99,
      double meanBatch) {
    /** Answered requests per second. */
    public double rps() {
      return requests / seconds;
    }
  }

  private ClosedLoop() {}

  /**
   * {@code clients} clients on {@code port} for {@code warmupSeconds} unmeasured, then {@code seconds} measured; a
   * line per level goes to standard error.
   */
  public static Level run(String server, int port, List<byte[]> images, int clients, int warmupSeconds, int seconds)
      throws Exception {
    ObjectMapper json = new ObjectMapper();
    ConcurrentLinkedQueue<double[]> samples = new ConcurrentLinkedQueue<>();
    AtomicLong errors = new AtomicLong();
    long warmEnd = System.nanoTime() + warmupSeconds * 1_000_000_000L;
    long end = warmEnd + seconds * 1_000_000_000L;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<?>> fs = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      int client = c;
      fs.add(pool.submit(() -> {
        try (RawHttpClient http = new RawHttpClient("127.0.0.1", port)) {
          int i = client * 7;
          while (true) {
            long t0 = System.nanoTime();
            if (t0 >= end) {
              return null;
            }
            RawHttpClient.Response r = http.post("/v1/predict", images.get(i++ % images.size()));
            long t1 = System.nanoTime();
            if (t0 >= warmEnd && t1 <= end) {
              if (r.status() != 200) {
                errors.incrementAndGet();
              } else {
                var node = json.readTree(r.body());
                samples.add(new double[] {(t1 - t0) / 1e6, node.path("batchSize").asDouble(),
                    node.path("latencyMs").asDouble(), node.path("forwardMs").asDouble(), node.path("queueMs").asDouble()});
              }
            }
          }
        }
      }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    double[] ms = samples.stream().mapToDouble(s -> s[0]).sorted().toArray();
    double batch = samples.stream().mapToDouble(s -> s[1]).average().orElse(0);
    Level l = new Level(server, clients, ms.length, errors.get(), seconds, percentile(ms, 50), percentile(ms, 99), batch);
    System.err.printf(Locale.ROOT, "  %-16s %2d clients: %.1f req/s, p50 %.2f ms, p99 %.2f ms, mean batch %.2f;"
        + " server-side p50 %.2f ms (forward %.2f, queue %.2f)%n", server, clients, l.rps(), l.p50(), l.p99(), batch,
        percentile(samples.stream().mapToDouble(s -> s[2]).toArray(), 50),
        percentile(samples.stream().mapToDouble(s -> s[3]).toArray(), 50),
        percentile(samples.stream().mapToDouble(s -> s[4]).toArray(), 50));
    return l;
  }
}
