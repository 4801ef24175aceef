package dev.streamfit.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.engine.Activations;
import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.FeatureExtractor;
import dev.streamfit.engine.FrozenPrefix;
import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.testkit.ChildProcesses;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.trainer.Checkpoints;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The features stage and a trainer reading its output, each its own process, both SIGKILLed 3 times mid-stream while
 * 600 train samples, 60 validation samples and 6 malformed records go through, then left to finish. Read committed,
 * every sample's activations are on {@code images.features} exactly once and every malformed record on
 * {@code images.rejected} exactly once; the trainer's newest checkpoint and last version count every train sample's
 * activations exactly once; the activations are the prefix's (checked against a forward pass here).
 */
@ExtendWith(KafkaBrokerExtension.class)
class FeaturesCrashTest {
  static final String PREFIX = "fcrash-";
  static final int SIZE = 224;
  static final int TRAIN = 600;
  static final int VALIDATION = 60;
  static final int MALFORMED = 6;
  static final List<String> LABELS = List.of("ant", "bee", "cat");
  static final FrozenPrefix FROZEN = new FrozenPrefix(BaseModel.MOBILENET_V2_035, SIZE, 1);
  static final double[][] KILL_BANDS = {{0.10, 0.20}, {0.35, 0.45}, {0.55, 0.65}};

  @TempDir
  Path work;

  @Test
  void sigkilledFeaturesStageAndTrainerTrainEverySamplesActivationsOnce(KafkaBroker broker) throws Exception {
    Topics topics = new Topics(PREFIX, 2, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    Map<String, byte[]> pixels = produceSamples(broker.bootstrapServers(), topics);
    long total = TRAIN + VALIDATION + MALFORMED;
    String group = PREFIX + "streamfit-features-" + FROZEN.shortHash();

    try (ChildProcesses children = new ChildProcesses();
        Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      try {
        Random random = new Random(11);
        for (int i = 0; i < KILL_BANDS.length; i++) {
          long target = (long) (total * (KILL_BANDS[i][0] + random.nextDouble() * (KILL_BANDS[i][1] - KILL_BANDS[i][0])));
          Process features = startFeatures(children, broker.bootstrapServers(), i);
          Process trainer = startTrainer(children, broker.bootstrapServers(), i);
          long until = System.currentTimeMillis() + 120_000;
          while (features.isAlive() && progress(admin, group, topics) < target && System.currentTimeMillis() < until) {
            Thread.sleep(20);
          }
          assertThat(features.isAlive()).as("features process %d alive at its kill point; log:%n%s", i + 1,
              ChildProcesses.tail(log("features", i), 40)).isTrue();
          assertThat(trainer.isAlive()).as("trainer process %d alive; log:%n%s", i + 1,
              ChildProcesses.tail(log("trainer", i), 40)).isTrue();
          features.destroyForcibly(); // SIGKILL, mid-stream
          trainer.destroyForcibly();
          assertThat(features.waitFor(30, TimeUnit.SECONDS)).isTrue();
          assertThat(trainer.waitFor(30, TimeUnit.SECONDS)).isTrue();
          long after = progress(admin, group, topics);
          System.out.printf("features crash test: kill %d at %d of %d committed input offsets (target %d)%n", i + 1, after,
              total, target);
          assertThat(after).as("kill %d landed mid-stream", i + 1).isLessThan(total);
        }

        int last = KILL_BANDS.length;
        Process features = startFeatures(children, broker.bootstrapServers(), last);
        Process trainer = startTrainer(children, broker.bootstrapServers(), last);
        long deadline = System.currentTimeMillis() + 240_000;
        while (progress(admin, group, topics) < total && features.isAlive() && System.currentTimeMillis() < deadline) {
          Thread.sleep(100);
        }
        assertThat(progress(admin, group, topics)).as("features committed everything; log:%n%s",
            ChildProcesses.tail(log("features", last), 40)).isEqualTo(total);

        Map<String, Integer> samples = new HashMap<>();
        Map<String, Integer> rejections = new HashMap<>();
        Map<String, AugmentedSample> some = new TreeMap<>();
        readCommitted(admin, broker.bootstrapServers(), topics, samples, rejections, some);
        for (String id : pixels.keySet()) {
          assertThat(samples.getOrDefault(id, 0)).as("activations of %s", id).isEqualTo(1);
        }
        assertThat(samples.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(TRAIN + VALIDATION);
        assertThat(rejections).hasSize(MALFORMED).allSatisfy((k, n) -> assertThat(n).isEqualTo(1));
        try (FeatureExtractor fx = FeatureExtractor.create(FROZEN)) {
          for (AugmentedSample s : some.values()) {
            float[] want = fx.extract(List.of(pixels.get(s.getSourceId()))).get(0).values();
            float[] got = Activations.fromFp16(s.getActivations().getShape(), s.getActivations().getFp16()).values();
            for (int k = 0; k < want.length; k++) {
              assertThat(Math.abs(got[k] - want[k])).as("%s[%d]", s.getSourceId(), k)
                  .isLessThanOrEqualTo(Math.abs(want[k]) / 1024 + 1e-5f);
            }
          }
        }

        // The trainer, restarted after each kill, ends with every train sample's activations counted once.
        long end = System.currentTimeMillis() + 180_000;
        List<ModelVersion> versions = List.of();
        while (System.currentTimeMillis() < end) {
          versions = TrainerCrashTest.readVersions(broker.bootstrapServers(), topics);
          if (!versions.isEmpty() && versions.get(versions.size() - 1).getProvenance().getSamplesTrained() >= TRAIN) {
            break;
          }
          Thread.sleep(500);
        }
        Thread.sleep(1500); // anything counted twice would show now
        trainer.destroy();
        assertThat(trainer.waitFor(60, TimeUnit.SECONDS)).as("trainer stops on SIGTERM").isTrue();
        features.destroy();
        assertThat(features.waitFor(60, TimeUnit.SECONDS)).as("features stops on SIGTERM").isTrue();
        versions = TrainerCrashTest.readVersions(broker.bootstrapServers(), topics);
        assertThat(versions).as("versions; trainer log:%n%s", ChildProcesses.tail(log("trainer", last), 40)).isNotEmpty();
        ModelVersion v = versions.get(versions.size() - 1);
        assertThat(v.getProvenance().getSamplesTrained()).as("last version trained every sample once").isEqualTo(TRAIN);
        var newest = Checkpoints.newest(work.resolve("checkpoints")).orElseThrow();
        assertThat(newest.samplesTrained()).as("newest checkpoint").isEqualTo(TRAIN);
        long resumes = 0;
        for (int i = 0; i <= last; i++) {
          resumes += java.nio.file.Files.readString(log("trainer", i)).lines()
              .filter(l -> l.contains("resumed from checkpoint")).count();
        }
        System.out.printf("features crash test: %d kills of each; %d samples → activations once each, %d rejections; "
            + "trainer resumed %d times, last version v%d trained %d samples%n", KILL_BANDS.length, TRAIN + VALIDATION,
            MALFORMED, resumes, v.getVersion(), v.getProvenance().getSamplesTrained());
      } catch (Throwable t) {
        for (int i = 0; i <= KILL_BANDS.length; i++) {
          System.out.printf("---- features process %d log (tail)%n%s%n", i + 1, ChildProcesses.tail(log("features", i), 40));
          System.out.printf("---- trainer process %d log (tail)%n%s%n", i + 1, ChildProcesses.tail(log("trainer", i), 40));
        }
        throw t;
      }
    }
  }

  private Path log(String stage, int process) {
    return work.resolve(stage + "-" + (process + 1) + ".log");
  }

  private static long progress(Admin admin, String group, Topics topics) throws Exception {
    Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed;
    try {
      committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      return 0;
    }
    return committed.entrySet().stream().filter(e -> e.getKey().topic().equals(topics.augmented()) && e.getValue() != null)
        .mapToLong(e -> e.getValue().offset()).sum();
  }

  private static void readCommitted(Admin admin, String bootstrap, Topics topics, Map<String, Integer> samples,
      Map<String, Integer> rejections, Map<String, AugmentedSample> some) throws Exception {
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.FEATURES_MAX_BYTES),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (String t : List.of(topics.features(), topics.rejected())) {
        c.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t, p.partition())));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.currentTimeMillis() + 120_000;
      Map<TopicPartition, Long> end = null;
      while (end == null && System.currentTimeMillis() < deadline) {
        end = AugmentCrashTest.settledEnd(admin, parts);
        if (end == null) {
          Thread.sleep(200); // a killed process's open transaction holds the last stable offset back until aborted
        }
      }
      assertThat(end).as("no open transaction on the output topics within 120 s").isNotNull();
      Map<TopicPartition, Long> stable = end;
      while (parts.stream().anyMatch(tp -> c.position(tp) < stable.get(tp)) && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.topic().equals(topics.features())) {
            AugmentedSample s = AvroSerde.of(AugmentedSample.class).decode(r.value());
            assertThat(s.getActivations().getPrefix()).isEqualTo(FROZEN.hash());
            samples.merge(s.getSourceId(), 1, Integer::sum);
            if (some.size() < 3 || s.getSourceId().endsWith("-599")) {
              some.put(s.getSourceId(), s);
            }
          } else {
            Rejection j = AvroSerde.of(Rejection.class).decode(r.value());
            assertThat(j.getStage()).isEqualTo("features");
            rejections.merge(j.getOriginalKey(), 1, Integer::sum);
          }
        }
      }
    }
  }

  private Process startFeatures(ChildProcesses children, String bootstrap, int process) throws Exception {
    List<String> cmd = ChildProcesses.javaCommand(List.of("-Xmx1g"), "dev.streamfit.app.Main", List.of("features",
        "--bootstrap-servers", bootstrap, "--topic-prefix", PREFIX, "--base", FROZEN.base().id(), "--image-size",
        String.valueOf(SIZE), "--fine-tune-blocks", String.valueOf(FROZEN.trainableBlocks()), "--features-threads", "1",
        "--instance-id", "fcrash-1", "--work-dir", work.resolve("features").toString()));
    return children.start(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log("features", process).toFile()));
  }

  private Process startTrainer(ChildProcesses children, String bootstrap, int process) throws Exception {
    List<String> cmd = ChildProcesses.javaCommand(List.of("-Xmx1g"), "dev.streamfit.app.Main", List.of("train",
        "--bootstrap-servers", bootstrap, "--topic-prefix", PREFIX, "--trainer-input", "features",
        "--base", FROZEN.base().id(), "--image-size", String.valueOf(SIZE), "--fine-tune-blocks",
        String.valueOf(FROZEN.trainableBlocks()), "--batch-size", "8", "--eval-every-steps", "4", "--eval-idle-ms", "500",
        "--publish-margin", "-1", "--shuffle-buffer", "16", "--work-dir", work.toString(),
        "--labels", String.join(",", LABELS), "--model-name", "crash"));
    return children.start(new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log("trainer", process).toFile()));
  }

  /** Train and validation samples (random pixels, ids {@code t-<i>}/{@code v-<i>}), and malformed records. */
  private static Map<String, byte[]> produceSamples(String bootstrap, Topics topics) throws Exception {
    Map<String, byte[]> pixels = new java.util.LinkedHashMap<>();
    AvroSerde<AugmentedSample> serde = AvroSerde.of(AugmentedSample.class);
    Random r = new Random(3);
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1, ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Topics.AUGMENTED_MAX_BYTES), new StringSerializer(), new ByteArraySerializer())) {
      List<Future<?>> sent = new ArrayList<>();
      for (int i = 0; i < TRAIN + VALIDATION + MALFORMED; i++) {
        if (i % 111 == 110) {
          sent.add(p.send(new ProducerRecord<>(topics.augmented(), "bad-" + i, new byte[] {(byte) 0xC3, 1, 2})));
          continue;
        }
        boolean train = pixels.size() < TRAIN;
        String id = (train ? "t-" : "v-") + pixels.size();
        byte[] px = new byte[SIZE * SIZE * 3];
        r.nextBytes(px);
        pixels.put(id, px);
        AugmentedSample s = AugmentedSample.newBuilder().setSourceId(id).setEpoch(0).setVariant(0)
            .setLabel(LABELS.get(pixels.size() % LABELS.size())).setSplit(train ? Split.TRAIN : Split.VALIDATION)
            .setHeight(SIZE).setWidth(SIZE).setChannels(3).setPixels(ByteBuffer.wrap(px))
            .setAugmentation(AugmentationParams.newBuilder().setSeed(i).setApplied(train).build()).build();
        sent.add(p.send(new ProducerRecord<>(topics.augmented(), id, serde.encode(s))));
      }
      for (Future<?> f : sent) {
        f.get();
      }
    }
    return pixels;
  }
}
