package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.testkit.ChildProcesses;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import dev.streamfit.engine.Models;
import dev.streamfit.trainer.TrainerConfig;
import dev.streamfit.trainer.Checkpoints;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer as its own process, killed with SIGKILL at random points 5 times while it consumes 520
 * records, then left to finish. Every published version's checkpoint counted each record once: between
 * consecutive versions the samples trained grow by exactly the records between their end offsets, the
 * last version covers every offset from 0, versions are 1, 2, 3, … across restarts (none skipped, none
 * repeated), and the final checkpoint loads. {@code bench/trainer-crash.sh} runs the same with 200 kills
 * ({@code -Dstreamfit.crash.kills=200}).
 */
@ExtendWith(KafkaBrokerExtension.class)
class TrainerCrashTest {
  static final int KILLS = Integer.getInteger("streamfit.crash.kills", 5);
  static final int RECORDS = Math.max(520, KILLS * 60);
  static final int SIZE = 32;

  @TempDir
  Path work;

  @Test
  void sigkilledTrainerCountsEveryRecordOnceAcrossRestarts(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("crash-", 2, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    produceSamples(broker.bootstrapServers(), topics);

    int kills = 0;
    List<ModelVersion> versions = new ArrayList<>();
    try (ChildProcesses children = new ChildProcesses()) {
      Random random = new Random(7);
      for (int i = 0; i < KILLS; i++) {
        // Kill after a random number (3..14) of this process's training steps: between checkpoints,
        // inside a step, or while a checkpoint is being written.
        long before = steps();
        Process p = startTrainer(children, broker.bootstrapServers());
        long target = before + 3 + random.nextInt(12);
        long until = System.currentTimeMillis() + 120_000;
        while (p.isAlive() && steps() < target && System.currentTimeMillis() < until) {
          Thread.sleep(20);
        }
        // The evaluator thread writes checkpoints beside training, so a few steps can pass before the first one is on
        // disk: the first kill waits for it, so that every later start resumes (the path this test is about).
        while (i == 0 && p.isAlive() && Checkpoints.list(work.resolve("checkpoints")).isEmpty()
            && System.currentTimeMillis() < until) {
          Thread.sleep(20);
        }
        Thread.sleep(random.nextInt(150));
        if (p.isAlive()) {
          p.destroyForcibly(); // SIGKILL
          kills++;
        }
        p.waitFor(30, TimeUnit.SECONDS);
      }
      assertThat(kills).isEqualTo(KILLS);

      Process last = startTrainer(children, broker.bootstrapServers());
      long deadline = System.currentTimeMillis() + 180_000 + RECORDS * 20L;
      while (System.currentTimeMillis() < deadline) {
        versions = readVersions(broker.bootstrapServers(), topics);
        if (!versions.isEmpty() && versions.get(versions.size() - 1).getProvenance().getSamplesTrained() == RECORDS) {
          break;
        }
        Thread.sleep(1000);
      }
      last.destroy();
      last.waitFor(30, TimeUnit.SECONDS);
    }

    // A version whose send a kill may have cut off is re-sent on restart under the same key: the compacted
    // topic keeps the last record per key, and so does this check.
    java.util.TreeMap<Long, ModelVersion> byVersion = new java.util.TreeMap<>();
    versions.forEach(v -> byVersion.put(v.getVersion(), v));
    long resent = versions.size() - byVersion.size();
    versions = new ArrayList<>(byVersion.values());
    assertThat(versions).as("published versions").hasSizeGreaterThanOrEqualTo(2);
    long previousVersion = 0;
    long previousSamples = 0;
    long previousEnd = 0;
    for (ModelVersion v : versions) {
      assertThat(v.getVersion()).as("versions are 1, 2, 3, … across restarts: none skipped, none repeated")
          .isEqualTo(previousVersion + 1);
      long end = 0;
      for (OffsetRange r : v.getProvenance().getOffsets()) {
        assertThat(r.getStartOffset()).as("%s-%d starts at 0", r.getTopic(), r.getPartition()).isZero();
        end += r.getEndOffset();
      }
      assertThat(v.getProvenance().getSamplesTrained() - previousSamples)
          .as("v%d trained exactly the records since the previous version", v.getVersion())
          .isEqualTo(end - previousEnd);
      previousVersion = v.getVersion();
      previousSamples = v.getProvenance().getSamplesTrained();
      previousEnd = end;
    }
    String log = java.nio.file.Files.readString(work.resolve("trainer.log"));
    long resumes = log.lines().filter(l -> l.contains("resumed from checkpoint")).count();
    long steps = log.lines().filter(l -> l.contains("samples) loss")).count();
    System.out.printf("crash test: %d kills, %d versions (%d re-sent), %d resumes from a checkpoint, %d steps run in all (%d kept)%n",
        kills, versions.size(), resent, resumes, steps, versions.get(versions.size() - 1).getProvenance().getSteps());
    assertThat(resumes).as("kills landed after checkpoints, so restarts resumed").isGreaterThanOrEqualTo(1);
    assertThat(previousSamples).as("final version trained every record once").isEqualTo(RECORDS);
    assertThat(previousEnd).isEqualTo(RECORDS);
    // The newest checkpoint verifies, loads, and accounts for every record once.
    var newest = Checkpoints.newest(work.resolve("checkpoints")).orElseThrow();
    assertThat(newest.samplesTrained()).isEqualTo(RECORDS);
    assertThat(newest.nextOffsets().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(RECORDS);
    assertThat(Models.fromBytes(newest.model(), true).numParams()).isPositive();
  }

  private long steps() throws java.io.IOException {
    Path log = work.resolve("trainer.log");
    return java.nio.file.Files.exists(log)
        ? java.nio.file.Files.readAllLines(log).stream().filter(l -> l.contains("samples) loss")).count() : 0;
  }

  private Process startTrainer(ChildProcesses children, String bootstrap) throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.dev.streamfit=info",
        "-Dorg.slf4j.simpleLogger.log.dev.streamfit.trainer=debug", // one line per step, counted above
        "dev.streamfit.app.Main", "train", "--bootstrap-servers", bootstrap, "--topic-prefix", "crash-",
        "--base", "mobilenetv2-0.35", "--image-size", String.valueOf(SIZE), "--batch-size", "8",
        "--eval-every-steps", "3", "--eval-idle-ms", "500", "--publish-margin", "-1", "--shuffle-buffer", "16", "--work-dir", work.toString(),
        "--labels", String.join(",", TestImages.CLOTHING_LABELS), "--model-name", "clothing");
    return children.start(new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("trainer.log").toFile())));
  }

  private static void produceSamples(String bootstrap, Topics topics) throws Exception {
    AvroSerde<AugmentedSample> serde = AvroSerde.of(AugmentedSample.class);
    Random r = new Random(1);
    List<String> labels = TestImages.CLOTHING_LABELS;
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
        new StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      for (int i = 0; i < RECORDS; i++) {
        byte[] pixels = new byte[SIZE * SIZE * 3];
        r.nextBytes(pixels);
        AugmentedSample s = AugmentedSample.newBuilder().setSourceId("img-" + i).setEpoch(0).setVariant(0)
            .setLabel(labels.get(i % labels.size())).setSplit(Split.TRAIN).setHeight(SIZE).setWidth(SIZE).setChannels(3)
            .setPixels(ByteBuffer.wrap(pixels))
            .setAugmentation(AugmentationParams.newBuilder().setSeed(i).setApplied(false).build()).build();
        p.send(new ProducerRecord<>(topics.augmented(), s.getSourceId(), serde.encode(s)));
      }
      p.flush();
    }
  }

  static List<ModelVersion> readVersions(String bootstrap, Topics topics) {
    List<ModelVersion> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_BYTES), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topics.models(), 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        c.poll(Duration.ofMillis(200)).forEach(rec -> out.add(AvroSerde.of(ModelVersion.class).decode(rec.value())));
      }
    }
    return out;
  }
}
