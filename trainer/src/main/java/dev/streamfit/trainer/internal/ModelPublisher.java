package dev.streamfit.trainer.internal;

import dev.streamfit.common.Rejections;
import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.engine.InputContract;
import dev.streamfit.engine.ModelVersions;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.DriftDrop;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.schemas.Provenance;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TrainingMetrics;
import dev.streamfit.trainer.TrainerConfig;
import java.time.Duration;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer's output: model versions to {@code models} (key {@code name@version}, each self-contained with its
 * provenance), evaluations to {@code training.metrics}, rejections to {@code images.rejected}. One idempotent producer.
 * Thread-safe (the producer is).
 */
public final class ModelPublisher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelPublisher.class);
  private static final AvroSerde<Rejection> REJECTIONS = AvroSerde.of(Rejection.class);
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);
  private static final AvroSerde<TrainingMetrics> METRICS = AvroSerde.of(TrainingMetrics.class);
  private final TrainerConfig config;
  private final KafkaProducer<String, byte[]> producer;
  private final String run;
  private final Map<String, String> runConfig;

  /** A publisher for one trainer run: its evaluations carry a run id made now and the run's configuration. */
  public ModelPublisher(TrainerConfig config) {
    this.config = config;
    this.run = config.modelName() + "-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
        .format(Instant.now()) + "-" + HexFormat.of().toHexDigits((short) new SecureRandom().nextInt());
    this.runConfig = new TreeMap<>(config.asMap());
    Topics t = config.topics();
    this.producer = KafkaClients.producer(config.bootstrapServers(), ClientProfile.DURABLE,
        ClientProfile.writing(t.spec(t.models()), t.spec(t.rejected())));
  }

  /**
   * Sends {@code model} (weights without updater) as version {@code version}, trained as {@code progress} says;
   * waits for the broker's acknowledgement.
   */
  public void publish(byte[] model, long version, long parent, TrainerState.Progress progress, List<String> labelsAdded,
      Map<String, Double> metrics) {
    List<OffsetRange> ranges = new ArrayList<>();
    progress.nextOffsets().forEach((key, next) -> {
      int colon = key.lastIndexOf(':');
      ranges.add(new OffsetRange(key.substring(0, colon), Integer.parseInt(key.substring(colon + 1)),
          progress.originOffsets().getOrDefault(key, 0L), next));
    });
    ranges.sort((a, b) -> a.getTopic().equals(b.getTopic()) ? Integer.compare(a.getPartition(), b.getPartition())
        : a.getTopic().compareTo(b.getTopic()));
    ModelVersion v = ModelVersions.of(config.modelName(), version, model, progress.labels(),
        InputContract.square(config.imageSize()), metrics,
        Provenance.newBuilder().setParentVersion(parent == 0 ? null : parent).setBaseModel(config.base().id())
            .setRunSeed(config.seed()).setConfig(config.asMap()).setAugmentationSpecHashes(progress.specHashes())
            .setOffsets(ranges).setSteps(progress.step()).setSamplesTrained(progress.samplesTrained())
            .setCommit(System.getProperty("streamfit.commit")).setLabelsAdded(labelsAdded).build());
    send(config.topics().models(), config.modelName() + "@" + version, VERSIONS.encode(v));
  }

  /** Sends one evaluation to {@code training.metrics}. */
  public void metrics(Judge.Verdict v, TrainerState.Progress progress) {
    List<DriftDrop> drift = v.drift().stream()
        .map(d -> new DriftDrop(d.label(), d.reference(), d.recent(), d.count())).toList();
    send(config.topics().trainingMetrics(), config.modelName(), METRICS.encode(TrainingMetrics.newBuilder()
        .setModelName(config.modelName()).setStep(progress.step()).setEpoch(progress.epoch())
        .setTrigger(v.point().trigger()).setEvaluatedAt(Instant.now()).setSamplesTrained(progress.samplesTrained())
        .setLearningRate(v.point().learningRate()).setMetrics(new LinkedHashMap<>(v.metrics()))
        .setPerClassValAccuracy(new LinkedHashMap<>(v.perClassVal()))
        .setPublishedVersion(v.version() > 0 ? v.version() : null)
        .setChampionValAccuracy(Double.isNaN(v.championAccuracy()) ? null : v.championAccuracy())
        .setDecision(v.decision().verdict()).setChampionRescored(v.championRescored())
        .setValidationWindowGeneration(v.windowGeneration()).setDrift(drift).setRun(run).setRunConfig(runConfig)
        .build()));
  }

  /** Sends a rejection of the record at {@code ref} (key {@code key}) without waiting. */
  public void reject(SampleRef ref, String key, RejectReason reason, String msg) {
    Rejection rej = Rejections.of(Rejections.Stage.TRAINER, key, reason, msg, ref.topic(), ref.partition(), ref.offset(),
        null);
    producer.send(new ProducerRecord<>(config.topics().rejected(), key, REJECTIONS.encode(rej)));
    LOG.warn("rejected {}@{}:{}: {} {}", key, ref.partition(), ref.offset(), reason.code(), msg);
  }

  /** Key of the last record on {@code models} ("" if none or unreadable within 10 s). */
  public String lastModelKey() {
    Topics t = config.topics();
    TopicPartition tp = new TopicPartition(t.models(), 0);
    try {
      return TopicReader.last(config.bootstrapServers(), tp, Duration.ofSeconds(10), ClientProfile.reading(t.spec(t.models())))
          .map(r -> r.key() == null ? "" : r.key()).orElse("");
    } catch (RuntimeException e) {
      LOG.warn("cannot read the last record of {}: {}", tp, e.toString());
      return "";
    }
  }

  private void send(String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending to " + topic, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot send " + key + " to " + topic + ": " + e.getCause(), e.getCause());
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
