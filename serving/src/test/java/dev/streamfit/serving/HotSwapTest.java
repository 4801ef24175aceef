package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.await;
import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.state;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Under steady load (40 req/s from 6 client threads), 8 good versions and 3 broken ones (NaN weights, truncated bytes, wrong output shape)
 * are published: no request fails, every answer names a version, broken versions never answer, versions
 * only move forward per client, and serving goes on through every swap (no request waits seconds on one).
 * It prints p50/p99 while swapping (publish to activation + 0.5 s) against the other requests of the same
 * run: the README's hot-swap figure.
 */
@ExtendWith(KafkaBrokerExtension.class)
class HotSwapTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int CLIENTS = 6;
  static final long PERIOD_MS = 150; // per client: 6 x 6.7 = 40 req/s

  record Sample(long startNanos, double ms, int status, long version, int client, String body) {}

  @Test
  void swapsUnderLoadWithoutAFailedRequest(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("hot-swap-", 1, (short) 1);
    byte[] wrongShape = Fixtures.good(9);
    List<ModelVersion> plan = List.of(
        version(2, Fixtures.good(2)),
        version(3, Fixtures.nanWeights()),
        version(4, Fixtures.good(4)),
        version(5, Fixtures.truncated()),
        version(6, Fixtures.good(6)),
        version("clothing", 7, wrongShape, Hashes.sha256Hex(wrongShape), List.of("hat", "pants", "shoes", "dress")),
        version(8, Fixtures.good(8)),
        version(9, Fixtures.good(10)),
        version(10, Fixtures.good(11)),
        version(11, Fixtures.good(12)),
        version(12, Fixtures.good(13)));
    Set<Long> broken = Set.of(3L, 5L, 7L);
    try (ServingStage s = ServingStage.start(ServingConfig.defaults(broker.bootstrapServers(), topics, 0)
        .withTopicInference(false)); KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
      await("v1 active", () -> s.active() != null);
      byte[] jpeg = TestImages.sampleJpeg("test", "shoes");
      Fixtures.Client c = new Fixtures.Client(s.port());
      for (int i = 0; i < 20; i++) {
        c.post("/v1/predict", jpeg); // warm the connection pool and the JIT
      }

      ConcurrentLinkedQueue<Sample> samples = new ConcurrentLinkedQueue<>();
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService load = Executors.newFixedThreadPool(CLIENTS);
      for (int i = 0; i < CLIENTS; i++) {
        int client = i;
        load.submit(() -> {
          long next = System.nanoTime() + client * PERIOD_MS * 1_000_000 / CLIENTS;
          while (running.get()) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
              Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            next += PERIOD_MS * 1_000_000;
            long t0 = System.nanoTime();
            int status;
            long version = -1;
            String body;
            try {
              HttpResponse<String> r = c.post("/v1/predict", jpeg);
              status = r.statusCode();
              body = r.body();
              if (status == 200) {
                version = JSON.readTree(body).path("modelVersion").asLong(-1);
              }
            } catch (Exception e) {
              status = -1;
              body = e.toString();
            }
            samples.add(new Sample(t0, (System.nanoTime() - t0) / 1e6, status, version, client, body));
          }
          return null;
        });
      }
      Thread.sleep(3_000); // load running, not measured: JIT, both workers' first batches
      long steadyStart = System.nanoTime();
      Thread.sleep(8_000);
      List<long[]> swapWindows = new ArrayList<>();
      for (ModelVersion mv : plan) {
        long t0 = System.nanoTime();
        publish(p, topics, mv);
        long v = mv.getVersion();
        if (broken.contains(v)) {
          await("v" + v + " rejected", () -> state(s, v) != null && state(s, v).status() == ModelStatus.REJECTED);
        } else {
          await("v" + v + " active", () -> s.active().version() == v);
        }
        long t1 = System.nanoTime();
        swapWindows.add(new long[] {t0, t1 + 500_000_000L});
        Thread.sleep(2_000);
      }
      running.set(false);
      load.shutdown();
      assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

      List<Sample> all = new ArrayList<>(samples);
      double seconds = (all.stream().mapToLong(Sample::startNanos).max().orElseThrow()
          - all.stream().mapToLong(Sample::startNanos).min().orElseThrow()) / 1e9;
      List<Sample> failed = all.stream().filter(x -> x.status() != 200).toList();
      assertThat(failed).as("failed requests").isEmpty();
      assertThat(all).allSatisfy(x -> assertThat(x.version()).as(x.body()).isPositive());
      assertThat(all).noneMatch(x -> broken.contains(x.version()));
      assertThat(all.stream().map(Sample::version).distinct().sorted().toList()).containsExactly(1L, 2L, 4L, 6L, 8L, 9L, 10L, 11L, 12L);
      for (int i = 0; i < CLIENTS; i++) {
        int client = i;
        long[] versions = all.stream().filter(x -> x.client() == client)
            .sorted((a, b) -> Long.compare(a.startNanos(), b.startNanos())).mapToLong(Sample::version).toArray();
        long[] sorted = versions.clone();
        Arrays.sort(sorted);
        assertThat(versions).as("client %d sees versions only move forward", client).containsExactly(sorted);
      }
      // Steady = every request after the warm-up that started outside a swap window (the 8 s before the first
      // publish and the gaps between swaps), so both sides see the JVM's usual GC pauses.
      double[] swapping = all.stream().filter(x -> inAny(swapWindows, x.startNanos())).mapToDouble(Sample::ms).sorted()
          .toArray();
      double[] steady = all.stream().filter(x -> x.startNanos() >= steadyStart && !inAny(swapWindows, x.startNanos()))
          .mapToDouble(Sample::ms).sorted().toArray();
      double rate = all.size() / seconds;
      System.out.printf(Locale.ROOT, "hot swap: %d requests in %.1f s (%.1f req/s), 0 failed; steady p50 %.1f ms p99 %.1f ms"
          + " (%d requests); during swaps p50 %.1f ms p99 %.1f ms (%d requests); %d versions served, 3 refused%n",
          all.size(), seconds, rate, pct(steady, 50), pct(steady, 99), steady.length, pct(swapping, 50), pct(swapping, 99),
          swapping.length, 9);
      // Serving went on through every swap: requests kept being answered, none waited on a swap. The latency
      // ratio printed above is a benchmark figure (README), not asserted: on a machine with a core busy elsewhere
      // the verification's forward passes compete with requests for the one core left.
      assertThat(rate).isGreaterThanOrEqualTo(20);
      assertThat(swapping.length).isGreaterThan(50);
      assertThat(swapping[swapping.length - 1]).as("slowest request during swaps, ms (a stalled swap takes seconds)")
          .isLessThan(10_000);
    }
  }

  static boolean inAny(List<long[]> windows, long t) {
    return windows.stream().anyMatch(w -> t >= w[0] && t <= w[1]);
  }

  static double pct(double[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100 * sorted.length) - 1)];
  }
}
