package dev.streamfit.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.common.Hashes;
import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.io.BufferedReader;
import java.io.StringReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Content refused once is refused again, with the same reason, on every ingest path; content published once is a
 * duplicate with the split and label it has on {@code images.raw}; and {@code images.raw} holds exactly what ingest
 * said it published, with the media type of its bytes. Real broker.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RefusedAgainTest {
  @TempDir
  Path data;

  /** File name → bytes: one good JPEG and a PNG (published), and three refused for what they are. */
  private static Map<String, byte[]> files() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("good.jpg", TestImages.sampleJpeg("train", "hat"));
    m.put("good.png", TestImages.unusual().get("alpha"));
    m.put("anim.gif", TestImages.hostile().get("gif"));
    m.put("header-only.jpg", TestImages.hostile().get("header-only"));
    m.put("empty.jpg", TestImages.hostile().get("empty"));
    return m;
  }

  private static final Map<String, Long> REFUSED = Map.of("unsupported_format", 1L, "corrupt_image", 1L, "empty", 1L);

  private IngestConfig config(KafkaBroker broker, String prefix, Path dir) {
    return new IngestConfig(broker.bootstrapServers(), new Topics(prefix, 2, (short) 1), dir, 256 * 1024,
        List.of("hat", "shoes"), false, DecodeLimits.defaults(), 0, IngestConfig.DEFAULT_COMMIT_INTERVAL,
        dev.streamfit.http.HttpLimits.defaults());
  }

  private void writeFolder() throws Exception {
    for (var e : files().entrySet()) {
      Path p = data.resolve("train/hat").resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
    }
  }

  @Test
  void folderRunsAgainRefuseTheSameAndPublishNothingNew(KafkaBroker broker) throws Exception {
    writeFolder();
    IngestConfig config = config(broker, "again-folder-", data);
    assertTwoRuns(broker, config, () -> new IngestStage(config).run(null));
  }

  @Test
  void csvRunsAgainRefuseTheSame(KafkaBroker broker) throws Exception {
    StringBuilder csv = new StringBuilder("path,label,split\n");
    for (var e : files().entrySet()) {
      Files.write(data.resolve(e.getKey()), e.getValue());
      csv.append(e.getKey()).append(",hat,train\n");
    }
    Path labels = Files.writeString(data.resolve("labels.csv"), csv);
    IngestConfig config = config(broker, "again-csv-", null);
    assertTwoRuns(broker, config, () -> new IngestStage(config).run(IngestSources.fromCsv(labels), null));
  }

  @Test
  void stdinListRunsAgainRefuseTheSame(KafkaBroker broker) throws Exception {
    StringBuilder lines = new StringBuilder();
    for (var e : files().entrySet()) {
      Files.write(data.resolve(e.getKey()), e.getValue());
      lines.append(e.getKey()).append(",hat\n");
    }
    IngestConfig config = config(broker, "again-stdin-", null);
    assertTwoRuns(broker, config, () -> new IngestStage(config).run(
        IngestSources.fromLines(new BufferedReader(new StringReader(lines.toString())), data), null));
  }

  @Test
  void watchAgainRefusesTheSame(KafkaBroker broker) throws Exception {
    writeFolder();
    IngestConfig config = config(broker, "again-watch-", data);
    ExecutorService ex = Executors.newSingleThreadExecutor();
    try {
      assertTwoRuns(broker, config, () -> {
        AtomicInteger scans = new AtomicInteger();
        // Two scans see each file unchanged (then it is published); the third ends the call.
        Future<IngestSummary> watching = ex.submit(() -> new IngestStage(config).watch(Duration.ofMillis(50),
            () -> scans.incrementAndGet() > 3));
        return watching.get();
      });
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void httpRefusesTheSameBytesAgainWithTheSameStatusAndReason(KafkaBroker broker) throws Exception {
    IngestConfig config = config(broker, "again-http-", null);
    HttpClient http = HttpClient.newHttpClient();
    Map<String, String> first = new LinkedHashMap<>();
    for (int server = 0; server < 2; server++) { // the second server reads what the first wrote from images.index
      try (IngestServer s = new IngestStage(config).serveHttp("127.0.0.1", 0)) {
        String base = "http://127.0.0.1:" + s.port() + "/v1/images";
        for (int attempt = 0; attempt < 2; attempt++) {
          for (var e : files().entrySet()) {
            // sent as shoes/validation after the first time: a duplicate answers with what images.raw holds
            String query = server == 0 && attempt == 0 ? "?label=hat&split=train" : "?label=shoes&split=validation";
            HttpResponse<String> r = IngestWatchAndHttpTest.post(http, base + query, e.getValue());
            String seen = r.statusCode() + " " + r.body().replaceAll("\"(status|id)\":\"[^\"]*\",?", "");
            if (server == 0 && attempt == 0) {
              first.put(e.getKey(), seen);
              continue;
            }
            if (first.get(e.getKey()).startsWith("201")) {
              assertThat(r.statusCode()).as(e.getKey()).isEqualTo(200);
              assertThat(r.body()).contains("\"status\":\"duplicate\"", "\"split\":\"train\"", "\"label\":\"hat\"");
            } else {
              assertThat(seen).as(e.getKey() + " sent again (server " + server + ")").isEqualTo(first.get(e.getKey()));
            }
          }
        }
      }
    }
    assertThat(first.get("anim.gif")).startsWith("415").contains("unsupported_format");
    assertThat(first.get("header-only.jpg")).startsWith("422").contains("corrupt_image");
    assertThat(first.get("empty.jpg")).startsWith("422").contains("\"empty\"");
    assertTopics(broker, config, 4);
  }

  @Test
  void feedbackImagesRefusedOnceAreRefusedAgain(KafkaBroker broker) {
    IngestConfig config = config(broker, "again-feedback-", null);
    Map<String, LabelledImages.Result> first = new LinkedHashMap<>();
    for (int open = 0; open < 2; open++) {
      try (LabelledImages images = LabelledImages.open(config)) {
        for (var e : files().entrySet()) {
          LabelledImages.Result r = images.publish(e.getValue(), "feedback test", open == 0 ? "hat" : "shoes");
          LabelledImages.Result was = first.putIfAbsent(e.getKey(), r);
          if (was != null) {
            assertThat(r.status()).as(e.getKey()).isEqualTo(was.reason() == null ? "duplicate" : "rejected");
            assertThat(r.reason()).as(e.getKey()).isEqualTo(was.reason());
            assertThat(r.message()).as(e.getKey()).isEqualTo(was.message());
          }
        }
      }
    }
    assertThat(first.values().stream().map(LabelledImages.Result::status))
        .containsExactly("published", "published", "rejected", "rejected", "rejected");
    assertTopics(broker, config, 2);
  }

  private interface Run {
    IngestSummary run() throws Exception;
  }

  private void assertTwoRuns(KafkaBroker broker, IngestConfig config, Run run) throws Exception {
    IngestSummary once = run.run();
    assertThat(once.published()).isEqualTo(2);
    assertThat(once.rejectedByReason()).isEqualTo(REFUSED);
    IngestSummary again = run.run();
    assertThat(again.published()).isZero();
    assertThat(again.duplicates()).isEqualTo(2);
    assertThat(again.rejectedByReason()).as("refused again, for the same reasons").isEqualTo(REFUSED);
    assertTopics(broker, config, 2);
  }

  /** images.raw holds the two good images once, with the media type of their bytes; each refusal is on images.rejected. */
  private static void assertTopics(KafkaBroker broker, IngestConfig config, int refusalsEach) {
    Map<String, String> raw = new LinkedHashMap<>();
    for (byte[] b : IngestStageTest.readAll(broker, config.topics().raw())) {
      RawImage r = AvroSerde.of(RawImage.class).decode(b);
      assertThat(raw.put(r.getId(), r.getMediaType())).as("published once").isNull();
      assertThat(r.getLabel()).isEqualTo("hat");
    }
    assertThat(raw).containsOnly(Map.entry(Hashes.sha256Hex(files().get("good.jpg")), "image/jpeg"),
        Map.entry(Hashes.sha256Hex(files().get("good.png")), "image/png"));
    Map<String, Long> rejected = new LinkedHashMap<>();
    for (byte[] b : IngestStageTest.readAll(broker, config.topics().rejected())) {
      rejected.merge(AvroSerde.of(Rejection.class).decode(b).getReason().toString(), 1L, Long::sum);
    }
    assertThat(rejected).containsOnly(Map.entry("unsupported_format", (long) refusalsEach),
        Map.entry("corrupt_image", (long) refusalsEach), Map.entry("empty", (long) refusalsEach));
  }
}
