package dev.streamfit.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.schemas.AugmentationParams;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.schemas.TrainingMetrics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
 * The trainer on a real broker: epoch-end evaluations on training.metrics, the learning curve, publishing
 * gated on the champion, early stopping. Samples are tiny synthetic images whose colour encodes the label.
 */
@ExtendWith(KafkaBrokerExtension.class)
class TrainerStageTest {
  static final int SIZE = 32;
  static final List<String> LABELS = List.of("red", "green", "blue");
  static final int PER_EPOCH = 96;

  @TempDir
  Path dir;

  static AugmentedSample sample(Random r, String id, int label, Split split, int epoch) {
    return sample(r, id, label, label, split, epoch);
  }

  /** A sample whose colour is {@code colour}'s and whose label is {@code label}'s. */
  static AugmentedSample sample(Random r, String id, int colour, int label, Split split, int epoch) {
    byte[] px = new byte[SIZE * SIZE * 3];
    for (int i = 0; i < px.length; i++) {
      int base = i % 3 == colour ? 200 : 40;
      px[i] = (byte) Math.max(0, Math.min(255, base + r.nextInt(90) - 45));
    }
    return AugmentedSample.newBuilder().setSourceId(id).setEpoch(epoch).setVariant(0).setLabel(LABELS.get(label))
        .setSplit(split).setHeight(SIZE).setWidth(SIZE).setChannels(3).setPixels(ByteBuffer.wrap(px))
        .setAugmentation(AugmentationParams.newBuilder().setSeed(epoch).setApplied(split == Split.TRAIN).setSpecHash("t").build())
        .build();
  }

  /** Validation + test, then epochs 0, 1 and 2 of train, all to partition 0 (epoch-major order). */
  static void produce(String bootstrap, Topics topics) throws Exception {
    AvroSerde<AugmentedSample> serde = AvroSerde.of(AugmentedSample.class);
    Random r = new Random(3);
    // One request in flight: on this loaded 2-core machine, five in flight into a just-created partition
    // ended in out-of-order-sequence retries and 2-minute delivery timeouts.
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1, ProducerConfig.LINGER_MS_CONFIG, 20),
        new StringSerializer(), new ByteArraySerializer())) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        AugmentedSample v = sample(r, "v" + i, i % 3, i < 15 ? Split.VALIDATION : Split.TEST, 0);
        sent.add(p.send(new ProducerRecord<>(topics.augmented(), 0, v.getSourceId(), serde.encode(v))));
      }
      for (int epoch = 0; epoch < 3; epoch++) {
        for (int i = 0; i < PER_EPOCH; i++) {
          AugmentedSample s = sample(r, "t" + i, i % 3, Split.TRAIN, epoch);
          sent.add(p.send(new ProducerRecord<>(topics.augmented(), 0, s.getSourceId(), serde.encode(s))));
        }
      }
      for (var f : sent) {
        f.get(); // every record is there, or the test fails here
      }
    }
  }

  /** Sends {@code samples} to partition 0 of the input, one at a time, each acknowledged. */
  static void send(KafkaProducer<String, byte[]> p, Topics topics, List<AugmentedSample> samples) throws Exception {
    AvroSerde<AugmentedSample> serde = AvroSerde.of(AugmentedSample.class);
    for (AugmentedSample s : samples) {
      p.send(new ProducerRecord<>(topics.augmented(), 0, s.getSourceId(), serde.encode(s))).get();
    }
  }

  static KafkaProducer<String, byte[]> producer(String bootstrap) {
    return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1), new StringSerializer(), new ByteArraySerializer());
  }

  static <T> List<T> readAll(String bootstrap, String topic, Function<byte[], T> decode) {
    List<T> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_BYTES), new StringDeserializer(),
        new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      while (c.position(tp) < end) {
        c.poll(Duration.ofMillis(200)).forEach(rec -> out.add(decode.apply(rec.value())));
      }
    }
    return out;
  }

  /** The trainer's status once it has evaluated {@code samples} samples, failed, or 120 s passed. */
  static TrainerStatus awaitEvaluated(TrainerStage t, long samples) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 120_000;
    TrainerStatus st;
    do {
      Thread.sleep(200);
      st = t.status();
    } while (st.evaluatedSamples() < samples && st.failure() == null && System.currentTimeMillis() < deadline);
    return st;
  }

  TrainerConfig config(String bootstrap, Topics topics, String name, TrainerPolicy policy, LrSchedule schedule) {
    return config(bootstrap, topics, name, policy, schedule, LABELS);
  }

  TrainerConfig config(String bootstrap, Topics topics, String name, TrainerPolicy policy, LrSchedule schedule,
      List<String> labels) {
    return new TrainerConfig(bootstrap, topics, "g-" + name, dir.resolve(name), "synthetic", labels,
        BaseModel.MOBILENET_V2_035, SIZE, new TrainingSpec(HeadSpec.SOFTMAX, TrainingSpec.Optimizer.ADAM, 0.01, 0.9, 0, 0.001,
        List.of()), schedule, 8, 1L, 32, policy, false, TrainerConfig.Rehearsal.OFF,
        dev.streamfit.engine.ScratchShape.DEFAULT, TrainerConfig.Windows.DEFAULT, TrainerConfig.Input.PIXELS);
  }

  @Test
  void evaluatesAtEachEpochEndPublishesOnlyImprovementsAndDrawsTheCurve(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("epochs-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    produce(broker.bootstrapServers(), topics);
    TrainerPolicy policy = new TrainerPolicy(1000, 0, 0, 0, 2, 0.0, 0);
    TrainerStatus st;
    try (TrainerStage t = TrainerStage.start(config(broker.bootstrapServers(), topics, "a", policy,
        new LrSchedule(LrSchedule.Kind.COSINE, 36, 1, 0.1)))) {
      st = awaitEvaluated(t, 3 * PER_EPOCH);
    }
    assertThat(st.failure()).isNull();
    assertThat(st.samplesTrained()).isEqualTo(3 * PER_EPOCH);

    List<TrainingMetrics> metrics = readAll(broker.bootstrapServers(), topics.trainingMetrics(),
        AvroSerde.of(TrainingMetrics.class)::decode);
    assertThat(metrics).extracting(TrainingMetrics::getTrigger).containsExactly("epoch_end", "epoch_end", "idle");
    assertThat(metrics).extracting(TrainingMetrics::getEpoch).containsExactly(0, 1, 2);
    assertThat(metrics).extracting(TrainingMetrics::getStep).containsExactly(12L, 24L, 36L);
    assertThat(metrics.get(2).getLearningRate()).isLessThan(metrics.get(0).getLearningRate()); // cosine
    assertThat(metrics.get(0).getMetrics()).containsKeys("train.loss", "train.accuracy", "val.accuracy", "val.loss",
        "test.accuracy");
    assertThat(metrics.get(0).getPerClassValAccuracy()).containsOnlyKeys(LABELS);
    assertThat(st.history()).hasSize(3);
    // one run: every evaluation names it and carries its configuration
    assertThat(metrics).extracting(TrainingMetrics::getRun).doesNotContainNull().containsOnly(metrics.get(0).getRun());
    assertThat(metrics.get(0).getRun()).startsWith(metrics.get(0).getModelName() + "-");
    assertThat(metrics.get(0).getRunConfig()).containsKey("learning-rate");

    // Versions: one per evaluation that published; none worse than the champion on the same window.
    List<ModelVersion> versions = readAll(broker.bootstrapServers(), topics.models(), AvroSerde.of(ModelVersion.class)::decode);
    List<Long> publishedFromMetrics = metrics.stream().map(TrainingMetrics::getPublishedVersion)
        .filter(java.util.Objects::nonNull).toList();
    assertThat(versions).extracting(ModelVersion::getVersion).isEqualTo(publishedFromMetrics);
    assertThat(metrics.get(0).getDecision()).isEqualTo("first");
    for (TrainingMetrics m : metrics) {
      // test is scored only for a version being published: never used to choose one
      assertThat(m.getMetrics().containsKey("test.accuracy")).isEqualTo(m.getPublishedVersion() != null);
      if (m.getChampionValAccuracy() != null) {
        double val = m.getMetrics().get("val.accuracy");
        assertThat(m.getDecision()).isIn("better", "fresher", "worse", "not_significant", "interval", "no_new_data");
        if (val < m.getChampionValAccuracy()) {
          assertThat(m.getDecision()).isEqualTo("worse");
          assertThat(m.getPublishedVersion()).isNull();
        }
      }
    }
    BufferedImage curve = ImageIO.read(dir.resolve("a").resolve(TrainerStage.LEARNING_CURVE).toFile());
    assertThat(curve.getWidth()).isEqualTo(1000);
    assertThat(dir.resolve("a").resolve("best.zip")).exists();

    // Flip one byte in the middle of the newest checkpoint: a restarted trainer falls back to the previous one.
    List<Path> ckpts = dev.streamfit.trainer.internal.Checkpoint.list(dir.resolve("a"));
    assertThat(ckpts).extracting(f -> f.getFileName().toString())
        .containsExactly("ckpt-000000000024.zip", "ckpt-000000000036.zip");
    byte[] b = java.nio.file.Files.readAllBytes(ckpts.get(1));
    b[b.length / 2] ^= 0x01;
    java.nio.file.Files.write(ckpts.get(1), b);
    try (TrainerStage t = TrainerStage.start(config(broker.bootstrapServers(), topics, "a", policy,
        new LrSchedule(LrSchedule.Kind.COSINE, 36, 1, 0.1)))) {
      assertThat(t.status().steps()).isEqualTo(24);
      assertThat(t.status().lastCheckpoint()).isEqualTo(ckpts.get(0));
      assertThat(t.status().history()).hasSize(2);
    }
  }

  @Test
  void earlyStoppingEndsTrainingAndKeepsTheChampion(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("early-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    produce(broker.bootstrapServers(), topics);
    // Evaluate every step; after the first step the rate is ~0, so nothing improves: patience 2 stops it early.
    TrainerPolicy policy = new TrainerPolicy(1000, 1, 0, 0, 2, 0.0, 2);
    TrainerStatus st;
    try (TrainerStage t = TrainerStage.start(config(broker.bootstrapServers(), topics, "b", policy,
        new LrSchedule(LrSchedule.Kind.STEP, 1, 1e-9, 0)))) {
      long deadline = System.currentTimeMillis() + 120_000;
      do {
        Thread.sleep(200);
        st = t.status();
      } while (!st.stoppedEarly() && st.failure() == null && System.currentTimeMillis() < deadline);
      long trained = st.samplesTrained();
      Thread.sleep(1500);
      assertThat(t.status().samplesTrained()).as("nothing trained after stopping").isEqualTo(trained);
    }
    assertThat(st.stoppedEarly()).isTrue();
    assertThat(st.samplesTrained()).isLessThan(3 * PER_EPOCH);
    assertThat(st.lastVersion()).isEqualTo(1);
  }

  @Test
  void aLabelThatArrivesGrowsTheModelAndTheGrownSetIsCheckpointedWithTheReplay(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("grow-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    produce(broker.bootstrapServers(), topics); // red, green and blue samples; the trainer starts with red, green
    TrainerPolicy policy = new TrainerPolicy(1000, 0, 0, 0, 2, -1.0, 0); // publish every evaluation
    TrainerConfig config = config(broker.bootstrapServers(), topics, "g", policy, LrSchedule.CONSTANT,
        List.of("red", "green")).withGrowth(true, new TrainerConfig.Rehearsal(1.0, 16));
    TrainerStatus st;
    try (TrainerStage t = TrainerStage.start(config)) {
      st = awaitEvaluated(t, 3 * PER_EPOCH);
    }
    assertThat(st.failure()).isNull();
    assertThat(st.samplesTrained()).as("blue samples trained, not refused").isEqualTo(3 * PER_EPOCH);
    List<ModelVersion> versions = readAll(broker.bootstrapServers(), topics.models(), AvroSerde.of(ModelVersion.class)::decode);
    assertThat(versions).isNotEmpty().allSatisfy(v -> assertThat(v.getLabels()).containsExactly("red", "green", "blue"));
    assertThat(versions.get(0).getProvenance().getLabelsAdded()).containsExactly("blue");
    assertThat(versions.subList(1, versions.size())).allSatisfy(v -> assertThat(v.getProvenance().getLabelsAdded()).isEmpty());
    assertThat(versions.get(0).getProvenance().getConfig()).containsEntry("grow-labels", "true")
        .containsEntry("replay-ratio", "1.0");
    assertThat(readAll(broker.bootstrapServers(), topics.rejected(), b -> b)).isEmpty();

    Path last = st.lastCheckpoint();
    var saved = dev.streamfit.trainer.internal.Checkpoint.read(last);
    assertThat(saved.state().progress().labels()).containsExactly("red", "green", "blue");
    assertThat(saved.state().progress().replay()).as("16 rehearsal samples per class, by reference").hasSize(48);
    assertThat(saved.state().progress().validation()).as("validation window, by reference").hasSize(15);

    try (TrainerStage t = TrainerStage.start(config)) {
      assertThat(t.status().steps()).as("resumed, grown head and all").isEqualTo(st.steps());
      assertThat(t.status().failure()).isNull();
    }
    TrainerConfig reordered = config(broker.bootstrapServers(), topics, "g", policy, LrSchedule.CONSTANT,
        List.of("green", "red")).withGrowth(true, new TrainerConfig.Rehearsal(1.0, 16));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrainerStage.start(reordered).close())
        .hasMessageContaining("which do not start with the configured [green, red]");
  }

  @Test
  void aCandidateWorseOnTheCurrentWindowIsNotPublishedEvenIfItBeatsTheChampionsOldScore(KafkaBroker broker)
      throws Exception {
    Topics topics = new Topics("promo-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    Random r = new Random(5);
    List<AugmentedSample> first = new ArrayList<>();
    // Window 1: 6 samples labelled as they look, 9 labelled as another colour: no model scores more than ~0.4 here.
    for (int i = 0; i < 15; i++) {
      first.add(sample(r, "v1-" + i, i % 3, i < 6 ? i % 3 : (i + 1) % 3, Split.VALIDATION, 0));
    }
    for (int i = 0; i < PER_EPOCH; i++) {
      first.add(sample(r, "t" + i, i % 3, Split.TRAIN, 0));
    }
    // Then 45 clean validation samples (the champion now scores high on the window), and an epoch in which blue
    // images are labelled red: the candidate gets blue wrong, worse than the champion on the current window.
    List<AugmentedSample> second = new ArrayList<>();
    for (int i = 0; i < 45; i++) {
      second.add(sample(r, "v2-" + i, i % 3, Split.VALIDATION, 1));
    }
    for (int i = 0; i < PER_EPOCH; i++) {
      second.add(sample(r, "t" + i, i % 3, i % 3 == 2 ? 0 : i % 3, Split.TRAIN, 1));
    }
    TrainerPolicy policy = new TrainerPolicy(1000, 0, 0, 0, 2, 0.0, 0, 0, 0.05, 0.2); // no freshness publishing
    List<TrainingMetrics> metrics;
    try (TrainerStage t = TrainerStage.start(config(broker.bootstrapServers(), topics, "p", policy, LrSchedule.CONSTANT));
        KafkaProducer<String, byte[]> p = producer(broker.bootstrapServers())) {
      send(p, topics, first);
      assertThat(awaitEvaluated(t, PER_EPOCH).lastVersion()).isEqualTo(1);
      send(p, topics, second);
      assertThat(awaitEvaluated(t, 2 * PER_EPOCH).failure()).isNull();
      metrics = readAll(broker.bootstrapServers(), topics.trainingMetrics(), AvroSerde.of(TrainingMetrics.class)::decode);
    }
    metrics.forEach(m -> System.out.printf("promotion: %s step %d val %.3f champion %s rescored %s window %d → %s v%s%n",
        m.getTrigger(), m.getStep(), m.getMetrics().get("val.accuracy"), m.getChampionValAccuracy(),
        m.getChampionRescored(), m.getValidationWindowGeneration(), m.getDecision(), m.getPublishedVersion()));
    TrainingMetrics v1 = metrics.get(0);
    assertThat(v1.getPublishedVersion()).isEqualTo(1L);
    double oldScore = v1.getMetrics().get("val.accuracy");
    // The window changed (45 new samples): the champion was scored anew on it before any comparison.
    TrainingMetrics rescored = metrics.stream().filter(TrainingMetrics::getChampionRescored).findFirst().orElseThrow();
    assertThat(rescored.getValidationWindowGeneration()).isGreaterThan(v1.getValidationWindowGeneration());
    assertThat(rescored.getChampionValAccuracy()).isGreaterThan(oldScore + 0.2);
    TrainingMetrics last = metrics.get(metrics.size() - 1);
    assertThat(last.getSamplesTrained()).isEqualTo(2L * PER_EPOCH);
    assertThat(last.getMetrics().get("val.accuracy")).as("the candidate beats the champion's old score")
        .isGreaterThan(oldScore);
    assertThat(last.getMetrics().get("val.accuracy")).as("but is worse on the current window")
        .isLessThan(last.getChampionValAccuracy());
    assertThat(last.getDecision()).isEqualTo("worse");
    assertThat(last.getPublishedVersion()).isNull();
    assertThat(readAll(broker.bootstrapServers(), topics.models(), AvroSerde.of(ModelVersion.class)::decode))
        .extracting(ModelVersion::getVersion).containsExactly(1L);
  }

  @Test
  void validationImagesThatNoLongerLookLikeTheirLabelRaiseDrift(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("drift-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    Random r = new Random(9);
    List<AugmentedSample> first = new ArrayList<>();
    for (int i = 0; i < 30; i++) { // 10 per label: a drift reference needs 10 samples of the label
      first.add(sample(r, "v" + i, i % 3, Split.VALIDATION, 0));
    }
    for (int i = 0; i < PER_EPOCH; i++) {
      first.add(sample(r, "t" + i, i % 3, Split.TRAIN, 0));
    }
    var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    List<TrainingMetrics> metrics;
    try (TrainerStage t = TrainerStage.start(config(broker.bootstrapServers(), topics, "d",
        new TrainerPolicy(1000, 0, 0, 0, 2, 0.0, 0, 0, 0.05, 0.2), LrSchedule.CONSTANT), registry);
        KafkaProducer<String, byte[]> p = producer(broker.bootstrapServers())) {
      send(p, topics, first);
      assertThat(awaitEvaluated(t, PER_EPOCH).lastVersion()).isEqualTo(1);
      // 30 new validation images labelled blue that look green; no new train data: the window alone changed.
      List<AugmentedSample> drifted = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        drifted.add(sample(r, "drift-" + i, 1, 2, Split.VALIDATION, 0));
      }
      send(p, topics, drifted);
      long deadline = System.currentTimeMillis() + 60_000;
      do {
        Thread.sleep(300);
        metrics = readAll(broker.bootstrapServers(), topics.trainingMetrics(), AvroSerde.of(TrainingMetrics.class)::decode);
      } while (metrics.size() < 2 && System.currentTimeMillis() < deadline);
      Thread.sleep(300); // the gauges are set right after the record is sent
      assertThat(metrics).hasSize(2);
      TrainingMetrics m = metrics.get(1);
      assertThat(m.getChampionRescored()).isTrue();
      assertThat(m.getPublishedVersion()).isNull();
      assertThat(m.getDrift()).extracting(d -> d.getLabel()).containsExactly("blue");
      assertThat(m.getDrift().get(0).getCount()).isEqualTo(40);
      assertThat(m.getDrift().get(0).getReference() - m.getDrift().get(0).getRecent()).isGreaterThan(0.5);
      assertThat(registry.get("streamfit.trainer.drift").tag("label", "blue").gauge().value()).isGreaterThan(0.5);
      assertThat(registry.get("streamfit.trainer.drift.labels").gauge().value()).isEqualTo(1.0);
    }
  }
}
