package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.Pipeline;
import dev.streamfit.pipeline.ServingOptions;
import dev.streamfit.pipeline.StageOptions;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Acceptance: images from a folder → images.raw → augment → trainer (≥ 1 step, checkpoint on disk)
 * → models → serving loads it → HTTP predict answers with that version. Real broker, OpenCV, DL4J.
 * A truncated JPEG in the folder goes to images.rejected with a reason and the run continues.
 */
@ExtendWith(KafkaBrokerExtension.class)
class EndToEndTest {
  @TempDir
  Path tmp;

  /** 1 train image per class, 1 validation image for 3 classes, 1 test image, plus a truncated JPEG. */
  private Path smallDataset() throws IOException {
    Path sample = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample");
    Path data = tmp.resolve("data");
    for (String split : List.of("train", "validation", "test")) {
      try (Stream<Path> classes = Files.list(sample.resolve(split))) {
        for (Path cls : classes.sorted().toList()) {
          if (!split.equals("train") && !List.of("hat", "pants", "shoes").contains(cls.getFileName().toString())) {
            continue;
          }
          Path first;
          try (Stream<Path> files = Files.list(cls)) {
            first = files.sorted().findFirst().orElseThrow();
          }
          Path target = data.resolve(split).resolve(cls.getFileName()).resolve(first.getFileName());
          Files.createDirectories(target.getParent());
          Files.copy(first, target);
        }
      }
    }
    byte[] good = Files.readAllBytes(Dataset.of(data).firstImage("train/dress").orElseThrow());
    Files.write(data.resolve("train/dress/truncated.jpg"), Arrays.copyOf(good, good.length / 3));
    return data;
  }

  @Test
  void imagesFlowThroughEveryStageToAServedPrediction(KafkaBroker broker) throws Exception {
    Path data = smallDataset();
    StageOptions o = new StageOptions();
    new CommandLine(o).parseArgs("--epochs", "1", "--batch-size", "4", "--eval-idle-ms", "1500",
        "--work-dir", tmp.resolve("work").toString());
    Topics topics = new Topics("e2e-", 2, (short) 1);
    Path runDir = tmp.resolve("run");
    ServingOptions serving = new ServingOptions();
    new CommandLine(serving).parseArgs("--port", "0");
    try (Pipeline p = Pipeline.start(broker.bootstrapServers(), topics, o, serving, runDir, Dataset.of(data))) {
      Pipeline.Result r = p.ingestAndAwait(data, Duration.ofMinutes(8), System.out);

      // The truncated JPEG is refused at the edge, by ingest, with the augment stage's guards.
      assertThat(r.ingest().published()).isEqualTo(10 + 3 + 3);
      assertThat(r.ingest().rejectedByReason()).containsOnly(java.util.Map.entry("corrupt_image", 1L));
      assertThat(r.rejectedImages()).isEqualTo(1);
      assertThat(r.rejectReasons()).containsEntry("corrupt_image", 1L);
      Rejection rej = p.watcher().rejections().get(0);
      assertThat(rej.getStage()).isEqualTo("ingest");
      assertThat(rej.getMessage()).contains("truncated JPEG");
      assertThat(rej.getSource()).endsWith("truncated.jpg");

      assertThat(r.trainer().steps()).isGreaterThanOrEqualTo(1);
      assertThat(r.trainer().samplesTrained()).isEqualTo(10);
      assertThat(r.trainer().lastCheckpoint()).exists().startsWith(runDir.resolve("checkpoints"));
      long version = r.served().version();
      assertThat(version).isGreaterThanOrEqualTo(1);
      assertThat(r.served().metadata().getMetrics()).containsKeys("val.accuracy", "test.accuracy");
      assertThat(r.served().metadata().getProvenance().getOffsets()).isNotEmpty();

      HttpResponse<String> answer = p.predict(Dataset.of(data).firstImage("test").orElseThrow());
      assertThat(answer.statusCode()).isEqualTo(200);
      JsonNode json = new ObjectMapper().readTree(answer.body());
      assertThat(json.get("modelVersion").asLong()).isEqualTo(version);
      assertThat(json.get("predictions")).hasSize(3);
      assertThat(json.get("predictions").get(0).get("probability").asDouble()).isBetween(0.0, 1.0);

      // Every stage's meters (and their Kafka clients') are on serving's registry here: all pass Prometheus' linter.
      String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + p.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics).contains("streamfit_trainer_steps", "streamfit_features_records_total",
          "streamfit_serving_request_seconds", "kafka_");
      assertThat(dev.streamfit.testkit.Promtool.check(metrics)).as("promtool check metrics").isEmpty();
    }
  }
}
