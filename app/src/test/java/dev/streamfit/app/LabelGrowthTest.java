package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streamfit.pipeline.Dataset;
import dev.streamfit.pipeline.Pipeline;
import dev.streamfit.pipeline.ServingOptions;
import dev.streamfit.pipeline.StageOptions;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.Glyphs;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Acceptance (labels that grow): the whole pipeline trains on 8 glyph classes, then images of 2 new classes stream
 * in; with {@code --grow-labels} the trainer adds them, a version answering 10 labels is served, the first 8 classes
 * lose at most 3 points of test accuracy (rehearsal), and no answer ever names labels other than its version's.
 */
@ExtendWith(KafkaBrokerExtension.class)
class LabelGrowthTest {
  static final List<String> FIRST = Glyphs.CLASSES.subList(0, 8);
  static final List<String> NEW = Glyphs.CLASSES.subList(8, 10);
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  @Test
  void newLabelsGrowTheServedModelWithoutForgettingTheOldOnes(KafkaBroker broker) throws Exception {
    Path phase1 = Glyphs.dataset(tmp.resolve("glyphs-a"), FIRST, 36, 1, 28);
    Path phase2 = Glyphs.dataset(tmp.resolve("glyphs-b"), NEW, 36, 2, 28);
    StageOptions o = new StageOptions();
    new CommandLine(o).parseArgs("--base", "scratch-cnn", "--image-size", "32", "--epochs", "6", "--batch-size", "16",
        "--learning-rate", "0.003", "--rotation", "0", "--grow-labels", "--replay-ratio", "3", "--eval-idle-ms", "1500",
        "--work-dir", tmp.resolve("work").toString());
    ServingOptions serving = new ServingOptions();
    new CommandLine(serving).parseArgs("--port", "0");
    Topics topics = new Topics("grow-", 2, (short) 1);
    // Accuracy on the first classes is measured on 24 fresh images each (192: one image is 0.5 points).
    List<Path> firstTest = images(Glyphs.dataset(tmp.resolve("probe"), FIRST, 72, 3, 28).resolve("test"));
    Map<Long, Set<String>> answered = new ConcurrentHashMap<>();
    List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean polling = new AtomicBoolean(true);
    try (Pipeline p = Pipeline.start(broker.bootstrapServers(), topics, o, serving, tmp.resolve("run"), Dataset.of(phase1))) {
      Pipeline.Result r1 = p.ingestAndAwait(phase1, Duration.ofMinutes(8), System.out);
      List<String> firstSorted = FIRST.stream().sorted().toList(); // class folders, discovered in name order
      assertThat(r1.served().metadata().getLabels()).containsExactlyElementsOf(firstSorted);
      double before = accuracy(p.port(), firstTest);

      // Every answer while the new labels arrive: which labels did version v name?
      Thread poller = new Thread(() -> {
        while (polling.get()) {
          try {
            JsonNode a = predict(p.port(), firstTest.get(0), 1000);
            Set<String> names = new HashSet<>();
            a.get("predictions").forEach(n -> names.add(n.get("label").asText()));
            Set<String> prev = answered.putIfAbsent(a.get("modelVersion").asLong(), names);
            if (prev != null && !prev.equals(names)) {
              problems.add("v" + a.get("modelVersion") + " answered " + prev + " and later " + names);
            }
          } catch (Exception e) {
            problems.add(e.toString());
          }
        }
      }, "growth-poller");
      poller.start();
      Pipeline.Result r2;
      try {
        r2 = p.ingestAndAwait(phase2, Duration.ofMinutes(8), System.out);
      } finally {
        polling.set(false);
        poller.join(30_000);
      }
      ModelVersion served = r2.served().metadata();
      // Old indices kept, new labels appended in the order they arrived.
      assertThat(served.getLabels()).hasSize(10).startsWith(firstSorted.toArray(String[]::new));
      assertThat(served.getLabels().subList(8, 10)).containsExactlyInAnyOrderElementsOf(NEW);
      double after = accuracy(p.port(), firstTest);
      double onNew = accuracy(p.port(), images(phase2.resolve("test")));
      System.out.printf(java.util.Locale.ROOT, "growth: accuracy on the first 8 classes %.3f (v%d, 8 labels) -> %.3f"
          + " (v%d, 10 labels); on the 2 new classes %.3f%n", before, r1.served().version(), after, served.getVersion(), onNew);
      assertThat(after).as("accuracy on the first 8 classes after growth").isGreaterThanOrEqualTo(before - 0.03);
      assertThat(onNew).as("the new classes are learned").isGreaterThan(0.5);

      Map<Long, ModelVersion> versions = versions(broker.bootstrapServers(), topics.models());
      ModelVersion firstGrown = versions.values().stream().filter(v -> v.getLabels().size() > FIRST.size()).findFirst()
          .orElseThrow();
      assertThat(firstGrown.getProvenance().getLabelsAdded()).isNotEmpty().isSubsetOf(NEW);
      assertThat(versions.values().stream().flatMap(v -> v.getProvenance().getLabelsAdded().stream()).toList())
          .containsExactlyInAnyOrderElementsOf(NEW);
      assertThat(problems).isEmpty();
      assertThat(answered).isNotEmpty();
      answered.forEach((version, names) -> assertThat(names).as("labels answered by v" + version)
          .isEqualTo(Set.copyOf(versions.get(version).getLabels())));
    }
  }

  static List<Path> images(Path splitDir) throws Exception {
    try (Stream<Path> s = Files.walk(splitDir)) {
      return s.filter(f -> f.toString().endsWith(".png")).sorted().toList();
    }
  }

  static JsonNode predict(int port, Path image, int k) throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/predict?k=" + k))
        .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofFile(image)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (res.statusCode() != 200) {
      throw new IllegalStateException("HTTP " + res.statusCode() + ": " + res.body());
    }
    return JSON.readTree(res.body());
  }

  /** Share of {@code images} whose top answer is their class folder; the mistakes are printed. */
  static double accuracy(int port, List<Path> images) throws Exception {
    int correct = 0;
    Map<String, Integer> mistakes = new java.util.TreeMap<>();
    for (Path image : images) {
      String top = predict(port, image, 1).get("predictions").get(0).get("label").asText();
      String truth = image.getParent().getFileName().toString();
      correct += top.equals(truth) ? 1 : 0;
      if (!top.equals(truth)) {
        mistakes.merge(truth + "→" + top, 1, Integer::sum);
      }
    }
    System.out.println("mistakes (truth→answer): " + mistakes);
    return correct / (double) images.size();
  }

  /** Every version on {@code models}, by version number. */
  static Map<Long, ModelVersion> versions(String bootstrap, String topic) {
    AvroSerde<ModelVersion> serde = AvroSerde.of(ModelVersion.class);
    Map<Long, ModelVersion> out = new java.util.TreeMap<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_BYTES, ConsumerConfig.FETCH_MAX_BYTES_CONFIG,
        Topics.MODEL_MAX_BYTES), new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      long deadline = System.currentTimeMillis() + 30_000;
      while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          ModelVersion v = serde.decode(r.value());
          out.put(v.getVersion(), v);
        }
      }
    }
    return out;
  }
}
