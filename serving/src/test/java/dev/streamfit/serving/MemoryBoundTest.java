package dev.streamfit.serving;

import static dev.streamfit.serving.Fixtures.publish;
import static dev.streamfit.serving.Fixtures.version;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.ChildProcesses;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 concurrent maximum-size JSON batch requests against a serving JVM with a 256 MiB heap: each is answered (200 or
 * 429 with Retry-After), no OutOfMemoryError anywhere, and the process stays within its heap.
 */
@ExtendWith(KafkaBrokerExtension.class)
class MemoryBoundTest {
  static final int HEAP_MIB = 256;
  /** Room beside the heap for what a busy JVM also grows: malloc arenas of decoding threads, thread stacks, code. */
  static final int NATIVE_SLACK_MIB = 256;

  @Test
  void concurrentMaximumSizeBatchesAreAnsweredWithoutExhaustingTheHeap(KafkaBroker broker, @TempDir Path dir)
      throws Exception {
    Topics topics = new Topics("membound-", 1, (short) 1);
    dev.streamfit.common.kafka.TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    try (KafkaProducer<String, byte[]> p = Fixtures.producer(broker.bootstrapServers())) {
      publish(p, topics, version(1, Fixtures.good(1)));
    }
    Path log = dir.resolve("serving.log");
    try (ChildProcesses children = new ChildProcesses()) {
      Process child = children.start(new ProcessBuilder(ChildProcesses.javaCommand(List.of("-Xmx" + HEAP_MIB + "m"),
          ServingChild.class.getName(), List.of(broker.bootstrapServers(), topics.prefix())))
          .redirectError(log.toFile()));
      BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      assertThat(line).as(ChildProcesses.tail(log, 30)).startsWith("PORT ");
      String base = "http://127.0.0.1:" + line.substring(5).trim();
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline && http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode() != 200) {
        Thread.sleep(200);
      }
      long rssBefore = rssKib(child.pid());

      // 64 images of ~195 KB (a JPEG and a zero trailer): base64 in JSON, just under the 16 MiB body cap
      byte[] image = Arrays.copyOf(TestImages.sampleJpeg("test", "hat"), 195_000);
      String b64 = Base64.getEncoder().encodeToString(image);
      StringBuilder json = new StringBuilder("{\"images\":[");
      for (int i = 0; i < 64; i++) {
        json.append(i == 0 ? "\"" : ",\"").append(b64).append('"');
      }
      byte[] body = json.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
      assertThat(body.length).isBetween(15 << 20, 16 << 20);

      ExecutorService pool = Executors.newFixedThreadPool(64);
      Map<Integer, Integer> statuses = new TreeMap<>();
      try {
        List<Future<HttpResponse<String>>> fs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          fs.add(pool.submit(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/v1/predict:batch"))
              .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
              HttpResponse.BodyHandlers.ofString())));
        }
        for (Future<HttpResponse<String>> f : fs) {
          HttpResponse<String> r = f.get();
          statuses.merge(r.statusCode(), 1, Integer::sum);
          if (r.statusCode() == 429) {
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
          } else {
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
          }
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(statuses.getOrDefault(200, 0)).as(statuses.toString()).isPositive();
      HttpResponse<String> after = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/predict"))
          .POST(HttpRequest.BodyPublishers.ofByteArray(TestImages.sampleJpeg("test", "hat"))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(after.statusCode()).isEqualTo(200);
      assertThat(child.isAlive()).isTrue();
      long rssAfter = rssKib(child.pid());
      String logText = Files.readString(log);
      assertThat(logText).doesNotContain("OutOfMemoryError");
      // the heap may grow to its cap, the rest only by a fixed slack: RSS bounded, not growing with the requests
      assertThat(rssAfter - rssBefore).as("RSS %d → %d KiB; answers %s", rssBefore, rssAfter, statuses)
          .isLessThan(HEAP_MIB * 1024L + NATIVE_SLACK_MIB * 1024L);
      System.out.printf("memory bound: answers %s, RSS %d → %d MiB (heap cap %d MiB)%n", statuses, rssBefore / 1024,
          rssAfter / 1024, HEAP_MIB);
    }
  }

  private static long rssKib(long pid) throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("\\D+", ""));
      }
    }
    throw new AssertionError("no VmRSS for " + pid);
  }
}
