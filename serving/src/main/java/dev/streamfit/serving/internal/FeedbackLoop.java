package dev.streamfit.serving.internal;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.ConsumerLoop;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.http.HttpError;
import dev.streamfit.ingest.IngestConfig;
import dev.streamfit.ingest.LabelledImages;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Feedback;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ModelState;
import dev.streamfit.serving.ServingConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the loop: feedback accepted over HTTP is written to {@code feedback} resolved (version and predicted label
 * set); this follower reads {@code feedback} from its start (no group: every instance sees everything) and counts
 * each resolved record in its version's live accuracy; records clients wrote unresolved are resolved against the
 * {@link PredictionLog} here. A corrected image goes to {@code images.raw} with its true label, de-duplicated as
 * ingest does ({@link LabelledImages}). Once caught up, each record on the stable version re-judges it
 * ({@link Rollout#judgeLive}) and a version worse than the one before it is rolled back. Also writes serving's
 * {@code model.events}. Thread-safe; {@link #close} stops the follower and closes the producers.
 */
public final class FeedbackLoop extends ConsumerLoop {
  private static final Logger LOG = LoggerFactory.getLogger(FeedbackLoop.class);
  private static final AvroSerde<Feedback> FEEDBACK = AvroSerde.of(Feedback.class);
  private static final AvroSerde<ModelEvent> EVENTS = AvroSerde.of(ModelEvent.class);

  /** The answer to feedback: the accepted record and what became of the corrected image. */
  public record Outcome(FeedbackDesk.Accepted accepted, String correction) {}

  private final ServingConfig config;
  private final FeedbackDesk desk;
  private final ServingMetrics metrics;
  private final KafkaProducer<String, byte[]> producer;
  private final List<ModelRegistry> registries = new CopyOnWriteArrayList<>();
  private final Set<Long> rollingBack = ConcurrentHashMap.newKeySet();
  private volatile boolean caughtUp;
  private LabelledImages images;

  public FeedbackLoop(ServingConfig config, FeedbackDesk desk, ServingMetrics metrics) {
    super("streamfit-serving-feedback");
    this.config = config;
    this.desk = desk;
    this.metrics = metrics;
    this.producer = KafkaClients.producer(config.bootstrapServers(), ClientProfile.DURABLE, ClientProfile.batching(0, 16384));
  }

  /** Counts feedback on {@code registry}'s model and rolls it back when live feedback says so. */
  public void follow(ModelRegistry registry) {
    registries.add(registry);
  }

  /** Whether the follower has read the topic to where it stood at start (rollback acts only after). */
  public boolean caughtUp() {
    return caughtUp;
  }

  /**
   * Sends serving's decision {@code e} to {@code model.events} without waiting (callers may hold the rollout's lock);
   * a failed send is logged.
   */
  public void event(ModelEvent e) {
    producer.send(new ProducerRecord<>(config.topics().modelEvents(), e.getModelName().toString(), EVENTS.encode(e)),
        (md, x) -> {
          if (x != null) {
            LOG.warn("could not write the {} event of v{} to {}: {}", e.getKind(), e.getVersion(),
                config.topics().modelEvents(), x.toString());
          }
        });
  }

  /**
   * Feedback over HTTP from {@code client}: checked by the {@link FeedbackDesk} (refusals are its
   * {@link HttpError}s), written resolved to {@code feedback} (acknowledged before this returns) and, when the
   * prediction was wrong, the image published to {@code images.raw} with {@code label}.
   */
  public Outcome accept(String predictionId, String imageId, String label, byte[] image, String client)
      throws Exception {
    FeedbackDesk.Accepted a;
    try {
      a = desk.accept(predictionId, imageId, label, image, client, Instant.now(), System.nanoTime());
    } catch (HttpError e) {
      metrics.feedback(e.code());
      throw e;
    }
    Feedback f = Feedback.newBuilder().setPredictionId(a.predictionId()).setImageId(a.imageId()).setTrueLabel(label)
        .setModelName(a.model()).setModelVersion(a.version()).setPredictedLabel(a.predicted()).setRollout(a.arm())
        .setSource(client == null ? "" : client).setAt(Instant.now()).build();
    try {
      producer.send(new ProducerRecord<>(config.topics().feedback(), a.predictionId(), FEEDBACK.encode(f)))
          .get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      desk.log().unclaim(a.entry()); // not recorded: the client may send it again
      metrics.feedback("unavailable");
      throw new HttpError(503, "unavailable", "feedback could not be written to " + config.topics().feedback()
          + " (" + e + "); retry later", Map.of("Retry-After", "5"));
    }
    metrics.feedback("accepted");
    String correction;
    try {
      correction = correct(a, image, client);
    } catch (RuntimeException e) { // the feedback counts; only the training image is missing
      LOG.warn("corrected image of prediction {} not published: {}", a.predictionId(), e.toString());
      correction = "failed";
    }
    return new Outcome(a, correction);
  }

  /** Publishes the corrected image of a wrong prediction; returns what became of it. */
  private String correct(FeedbackDesk.Accepted a, byte[] image, String client) {
    if (a.correct()) {
      return "not_needed";
    }
    if (!config.feedback().publishCorrections()) {
      return "off";
    }
    byte[] bytes = image != null ? image : imageOf(a);
    if (bytes == null) {
      return "no_image";
    }
    LabelledImages.Result r = images().publish(bytes, "feedback:" + (client == null ? "topic" : client) + " on "
        + a.model() + " v" + a.version() + " prediction " + a.predictionId(), a.trueLabel());
    if (r.reason() != null) {
      LOG.warn("corrected image {} refused: {} {}", r.id(), r.reason(), r.message());
    }
    return r.reason() == null ? r.status() : "rejected:" + r.reason();
  }

  private byte[] imageOf(FeedbackDesk.Accepted a) {
    return desk.log().image(a.entry());
  }

  private synchronized LabelledImages images() {
    if (images == null) {
      images = LabelledImages.open(IngestConfig.of(config.bootstrapServers(), config.topics(), null)
          .withMaxImageBytes(Math.min(config.maxBodyBytes(), Topics.RAW_MAX_BYTES - 64 * 1024))
          .withDecodeLimits(config.limits()));
    }
    return images;
  }

  @Override
  protected void run() throws Exception {
    String topic = config.topics().feedback();
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(config.bootstrapServers(), ClientProfile.READ_COMMITTED,
        ClientProfile.clientId(config.topics().prefix() + "streamfit-serving-feedback"))) {
      own(c);
      List<TopicPartition> parts = TopicReader.assignFromBeginning(c, topic, Duration.ofSeconds(30));
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      while (running()) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          apply(r);
        }
        if (!caughtUp && parts.stream().allMatch(p -> c.position(p) >= end.get(p))) {
          caughtUp = true;
        }
      }
    }
  }

  private void apply(ConsumerRecord<String, byte[]> r) {
    Feedback f;
    try {
      f = FEEDBACK.decode(r.value());
    } catch (RuntimeException e) {
      metrics.feedback("malformed_record");
      LOG.warn("{} record at partition {} offset {} is not Feedback: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
      return;
    }
    String model;
    long version;
    boolean correct;
    if (f.getModelVersion() != null && f.getPredictedLabel() != null) {
      model = f.getModelName() == null ? null : f.getModelName().toString();
      version = f.getModelVersion();
      correct = f.getTrueLabel().toString().equals(f.getPredictedLabel().toString());
    } else {
      FeedbackDesk.Accepted a;
      try {
        a = desk.accept(str(f.getPredictionId()), str(f.getImageId()), f.getTrueLabel().toString(), null, null,
            Instant.now(), System.nanoTime());
      } catch (HttpError e) {
        metrics.feedback(e.code());
        LOG.debug("feedback record at {}-{}@{} refused: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        return;
      }
      metrics.feedback("accepted");
      model = a.model();
      version = a.version();
      correct = a.correct();
      try {
        correct(a, null, null);
      } catch (RuntimeException e) {
        LOG.warn("corrected image of prediction {} not published: {}", a.predictionId(), e.toString());
      }
    }
    ModelRegistry reg = registry(model);
    if (reg == null) {
      return;
    }
    VersionStats stats = reg.deployment().stats(version);
    stats.feedback(correct);
    metrics.version(reg.config().modelName() != null && !reg.config().modelName().equals(config.modelName())
        ? reg.config().modelName() : null, stats);
    if (caughtUp) {
      judge(reg, version, stats);
    }
  }

  private ModelRegistry registry(String model) {
    for (ModelRegistry reg : registries) {
      if (model == null || model.equals(reg.modelName())) {
        return reg;
      }
    }
    return null;
  }

  /** Re-judges the stable version on its live window; rolls it back when it is worse than the one before. */
  private void judge(ModelRegistry reg, long version, VersionStats stats) {
    ModelHandle stable = reg.peek();
    if (stable == null || stable.version() != version || rollingBack.contains(version)) {
      return;
    }
    long prev = reg.deployment().previousStable();
    if (prev < 0) {
      return;
    }
    VersionStats p = reg.deployment().statsIfAny(prev);
    ModelState ps = reg.version(prev);
    Double val = ps == null ? null : ps.metadata().getMetrics().get("val.accuracy");
    double baseline = Rollout.baseline(p == null ? null : p.snapshot(), val == null ? Double.NaN : val,
        reg.deployment().policy());
    VersionStats.Snapshot s = stats.snapshot();
    Rollout.Verdict v = Rollout.judgeLive(s, baseline, reg.deployment().policy());
    if (v.kind() == Rollout.Kind.ROLL_BACK && rollingBack.add(version)) {
      reg.rollBack(version, v.reason(), s).whenComplete((ok, e) -> {
        if (e != null) {
          LOG.warn("rollback of v{} failed: {}", version, e.toString());
          rollingBack.remove(version);
        }
      });
    }
  }

  private static String str(CharSequence s) {
    return s == null ? null : s.toString();
  }

  @Override
  public void close() {
    super.close();
    producer.close(Duration.ofSeconds(5));
    synchronized (this) {
      if (images != null) {
        images.close();
      }
    }
  }
}
