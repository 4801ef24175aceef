package dev.streamfit.serving.internal;

import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.ConsumerLoop;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.engine.CpuTuning;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.ModelEventKind;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ModelState;
import dev.streamfit.serving.ModelStatus;
import dev.streamfit.serving.RolloutPolicy;
import dev.streamfit.serving.ServingConfig;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the {@code models} topic (no consumer group: every serving instance sees every version) and
 * keeps the newest verified version active. On start it reads the topic to its end, then verifies the
 * newest version, falling back to older ones until one verifies: the champion is recovered from the topic
 * alone. Afterwards each version newer than any seen is verified ({@link ModelVerifier}) and swapped in
 * atomically, or rolled out as the {@link dev.streamfit.serving.RolloutPolicy} says ({@link Deployment});
 * versions never move backwards unless {@link #activate} (admin) or {@link #rollBack} (live feedback) asks. A
 * refused version is recorded with its reason and never answers. Serving's decisions (rollback, canary outcome)
 * go to {@code model.events}. Thread-safe; one thread owns the consumer.
 */
public final class ModelRegistry extends ConsumerLoop implements Deployment.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
  private static final AvroSerde<ModelVersion> SERDE = AvroSerde.of(ModelVersion.class);
  /** Recovery reads the whole topic however long it takes; close() ends it. */
  private static final Duration FOREVER = Duration.ofDays(3650);

  private final ServingConfig config;
  private final String topic;
  private final ModelVerifier verifier;
  private final ModelEvents metrics;
  private final Deployment deployment;
  private final Consumer<ModelEvent> events;
  private final NavigableMap<Long, ModelState> versions = new ConcurrentSkipListMap<>();
  /** Why each refused version failed verification, for {@link #activate}. */
  private final Map<Long, ModelVerifier.VerificationException> failures = new ConcurrentHashMap<>();
  private final BlockingQueue<Runnable> commands = new LinkedBlockingQueue<>();
  private final CountDownLatch recovered = new CountDownLatch(1);
  private volatile String modelName;
  private volatile long highestSeen = -1;
  /** Owned by the registry thread (recovery, fetch by offset). */
  private KafkaConsumer<String, byte[]> consumer;

  /**
   * Follows {@code config}'s models topic for its model, rolling versions out by {@code config.rollout()};
   * {@code events} receives serving's decisions (may block briefly: it sends to {@code model.events}).
   */
  public ModelRegistry(ServingConfig config, ModelVerifier verifier, ModelEvents metrics,
      Consumer<ModelEvent> events) {
    super("streamfit-model-registry");
    this.config = config;
    this.deployment = new Deployment(config.rollout(), this);
    this.events = events;
    this.topic = config.topics().models();
    this.verifier = verifier;
    this.metrics = metrics;
    this.modelName = config.modelName();
  }

  /** This registry's configuration. */
  public ServingConfig config() {
    return config;
  }

  /** The stable and candidate versions, their routing and live stats. */
  public Deployment deployment() {
    return deployment;
  }

  /** The stable model (not retained: for metadata only), or null. */
  public ModelHandle peek() {
    return deployment.stable();
  }

  /** Every version seen, newest first. */
  public List<ModelState> versions() {
    return new ArrayList<>(versions.descendingMap().values());
  }

  /** The version's state, or null if never seen. */
  public ModelState version(long v) {
    return versions.get(v);
  }

  /** Whether the start-up read of the topic has finished (and the champion, if any, was tried). */
  public boolean recovered() {
    return recovered.getCount() == 0;
  }

  /** The model name being served (configured, or the first seen), or null. */
  public String modelName() {
    return modelName;
  }

  /**
   * Admin: verifies version {@code v} again (from its record on the topic) and makes it active, older or
   * not. Completes with its new state, or exceptionally with {@link IllegalArgumentException} (unknown
   * version) or {@link ModelVerifier.VerificationException}.
   */
  public CompletableFuture<ModelState> activate(long v) {
    CompletableFuture<ModelState> f = new CompletableFuture<>();
    ModelState s = versions.get(v);
    if (s == null) {
      f.completeExceptionally(new IllegalArgumentException("no version " + v + " of " + modelName + " on " + topic));
      return f;
    }
    commands.add(() -> {
      try {
        ModelHandle h = deployment.stable();
        if (h != null && h.version() == v) {
          f.complete(versions.get(v));
          return;
        }
        ModelVersion mv = fetch(s.partition(), s.offset());
        promote(mv, true);
        ModelState now = versions.get(v);
        ModelVerifier.VerificationException refused = failures.get(v);
        if (now.status() == ModelStatus.ACTIVE) {
          f.complete(now);
        } else if (refused != null) {
          f.completeExceptionally(refused);
        } else {
          f.completeExceptionally(new IllegalStateException("v" + v + " is " + now.status() + ": " + now.reason()));
        }
      } catch (Exception e) {
        f.completeExceptionally(e);
      }
    });
    return f;
  }

  @Override
  protected void run() throws InterruptedException {
    // Loading and checking a candidate runs native ops on this thread while the inference thread serves:
    // one OpenMP thread here keeps it from spinning on the cores serving needs.
    CpuTuning.setThreads(1);
    Topics t = config.topics();
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(config.bootstrapServers(), ClientProfile.READ_COMMITTED,
        ClientProfile.clientId(t.prefix() + "streamfit-serving-models"), ClientProfile.reading(t.spec(topic)),
        ClientProfile.maxPollRecords(4))) {
      consumer = c;
      own(c);
      List<TopicPartition> parts = TopicReader.assignFromBeginning(c, topic, Duration.ofSeconds(30));
      recover(c, parts);
      recovered.countDown();
      while (running()) {
        for (Runnable cmd; (cmd = commands.poll()) != null; ) {
          cmd.run();
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          ModelVersion mv = decode(r);
          if (mv != null) {
            promote(mv, false);
          }
        }
      }
    } finally {
      recovered.countDown();
    }
  }

  /**
   * Reads to the end offsets as of now, then activates the newest version that verifies, leaving out versions an
   * earlier run rolled back or retired ({@code model.events}); under a canary or shadow rollout a version newer than
   * the last one a decision made stable is rolled out again as the candidate rather than made stable unjudged.
   */
  private void recover(KafkaConsumer<String, byte[]> c, List<TopicPartition> parts) throws InterruptedException {
    // each record is decoded, which records its version as available
    Map<TopicPartition, Long> end = c.endOffsets(parts);
    TopicReader.readToEnd(c, parts, end, FOREVER, this::running, this::decode);
    DecisionLog past = modelName == null ? DecisionLog.EMPTY
        : DecisionLog.read(config.bootstrapServers(), config.topics().modelEvents(), modelName, Duration.ofSeconds(30));
    boolean judged = config.rollout().mode() != RolloutPolicy.Mode.IMMEDIATE && past.lastStable() >= 0;
    ModelState candidate = null;
    for (ModelState s : versions.descendingMap().values()) {
      if (!running()) {
        return;
      }
      DecisionLog.Refusal refused = past.refused().get(s.version());
      if (refused != null) { // a decision of an earlier run stands
        status(s.version(), refused.status(), refused.reason());
        continue;
      }
      if (judged && s.version() > past.lastStable()) { // never judged: rolled out again once the stable one is up
        candidate = candidate == null ? s : candidate;
        continue;
      }
      ModelVersion mv = fetch(s.partition(), s.offset());
      if (promote(mv, true)) {
        LOG.info("recovered {} v{} from {} ({} versions on the topic)", mv.getModelName(), mv.getVersion(), topic, versions.size());
        break;
      }
    }
    if (candidate != null && running()) {
      promote(fetch(candidate.partition(), candidate.offset()), false);
    }
    for (TopicPartition p : parts) {
      c.seek(p, end.get(p));
    }
  }

  /** Decodes a record and records its version; null if not one of ours. */
  private ModelVersion decode(ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) {
      return null; // tombstone
    }
    ModelVersion mv;
    try {
      mv = SERDE.decode(r.value());
    } catch (RuntimeException e) {
      metrics.verificationFailed("malformed_record");
      LOG.warn("{} record at {}-{} offset {} is not a ModelVersion: {}", topic, r.topic(), r.partition(), r.offset(), e.getMessage());
      return null;
    }
    String name = mv.getModelName();
    if (modelName == null) {
      modelName = name;
      LOG.info("serving model {} (the first on {}; set --model-name to choose)", name, topic);
    } else if (!modelName.equals(name)) {
      return null;
    }
    ModelVersion meta = ModelVersion.newBuilder(mv).setModelBytes(ByteBuffer.allocate(0)).build();
    versions.putIfAbsent(mv.getVersion(), new ModelState(meta, r.partition(), r.offset(), ModelStatus.AVAILABLE, null, Instant.now()));
    return mv;
  }

  /**
   * Verifies and activates {@code mv} if it is newer than any version seen before (or {@code force}).
   * Returns whether it is active afterwards.
   */
  private boolean promote(ModelVersion mv, boolean force) throws InterruptedException {
    long v = mv.getVersion();
    if (!force && v <= highestSeen) {
      ModelHandle h = deployment.stable();
      if (h == null || h.version() != v) {
        versions.computeIfPresent(v, (k, s) -> s.status() == ModelStatus.AVAILABLE ? s.with(ModelStatus.SKIPPED, null) : s);
      }
      return false;
    }
    highestSeen = Math.max(highestSeen, v);
    long t0 = System.nanoTime();
    ModelHandle next;
    try {
      next = verifier.verify(mv);
    } catch (ModelVerifier.VerificationException e) {
      metrics.verificationFailed(e.reason().code());
      failures.put(v, e);
      versions.computeIfPresent(v, (k, s) -> s.with(ModelStatus.REJECTED, e.reason().code() + ": " + e.getMessage()));
      LOG.warn("{} v{} refused ({}): {}", mv.getModelName(), v, e.reason(), e.getMessage());
      return false;
    }
    ModelStatus status = deployment.offer(next, force);
    if (status == ModelStatus.ACTIVE) {
      metrics.activated(v);
    }
    LOG.info("{} v{} {} (verified and warmed up in {} ms; metrics {})", mv.getModelName(), v,
        status == ModelStatus.ACTIVE ? "serving" : status == ModelStatus.HELD ? "held (pinned)" : "rolled out as " + status,
        (System.nanoTime() - t0) / 1_000_000, mv.getMetrics());
    return status == ModelStatus.ACTIVE;
  }

  @Override
  public void status(long version, ModelStatus status, String reason) {
    versions.computeIfPresent(version, (k, s) -> s.with(status, reason));
  }

  @Override
  public void decided(Rollout.Kind kind, long version, long replacement, String reason, VersionStats.Snapshot stats) {
    LOG.info("{} v{}: {} ({})", modelName, version, kind == Rollout.Kind.PROMOTE ? "canary promoted" : "canary retired",
        reason);
    ModelState r = versions.get(replacement);
    publish(kind == Rollout.Kind.PROMOTE ? ModelEventKind.CANARY_PROMOTED
        : ModelEventKind.CANARY_RETIRED, version, r, reason, stats);
  }

  private void publish(ModelEventKind kind, long version, ModelState replacement, String reason,
      VersionStats.Snapshot stats) {
    try {
      events.accept(DecisionLog.event(modelName, kind, version, replacement, reason, stats));
    } catch (RuntimeException e) {
      LOG.warn("could not publish the {} event of v{} to {}: {}", kind, version, config.topics().modelEvents(), e.toString());
    }
  }

  /**
   * Live feedback says stable version {@code bad} is worse than the one before it: makes that one stable again
   * (verified anew from its record), marks {@code bad} {@code rolled_back} so it never returns unless an admin
   * activates it, and tells {@code model.events}. Completes with whether it rolled back (false: {@code bad} is not
   * stable any more, serving is pinned, or there is no previous version).
   */
  public CompletableFuture<Boolean> rollBack(long bad, String reason, VersionStats.Snapshot stats) {
    CompletableFuture<Boolean> f = new CompletableFuture<>();
    commands.add(() -> {
      try {
        ModelHandle h = deployment.stable();
        long prev = deployment.previousStable();
        ModelState target = prev < 0 ? null : versions.get(prev);
        if (h == null || h.version() != bad || deployment.pinned() >= 0 || target == null) {
          LOG.warn("{} v{} is worse on live feedback ({}) but was not rolled back: {}", modelName, bad, reason,
              h == null || h.version() != bad ? "it is not stable any more" : deployment.pinned() >= 0
                  ? "serving is pinned" : "there is no previous version to restore");
          f.complete(false);
          return;
        }
        boolean ok = promote(fetch(target.partition(), target.offset()), true);
        if (ok) {
          deployment.forgetPrevious();
          status(bad, ModelStatus.ROLLED_BACK, reason);
          metrics.rolledBack();
          LOG.warn("{} rolled back from v{} to v{}: {}", modelName, bad, prev, reason);
          publish(ModelEventKind.ROLLED_BACK, bad, versions.get(prev), reason, stats);
        } else {
          LOG.warn("{} v{} is worse on live feedback ({}) but v{} does not verify any more", modelName, bad, reason, prev);
        }
        f.complete(ok);
      } catch (Exception e) {
        f.completeExceptionally(e);
      }
    });
    return f;
  }

  /** Admin: promotes the candidate {@code v}; false when {@code v} is not the candidate. */
  public boolean promoteCandidate(long v, String who) {
    return deployment.promote(v, "promoted by " + who);
  }

  /** Admin: retires the candidate {@code v}; false when {@code v} is not the candidate. */
  public boolean abortCandidate(long v, String who) {
    return deployment.abort(v, "aborted by " + who);
  }

  /** Admin: makes {@code v} stable (as {@link #activate}) and holds it there until {@link #unpin}. */
  public CompletableFuture<ModelState> pin(long v) {
    return activate(v).thenApply(s -> {
      deployment.pin();
      return s;
    });
  }

  public void unpin() {
    deployment.unpin();
  }

  /** Reads the record at {@code offset} again (rollback, recovery), then restores the position. */
  private ModelVersion fetch(int partition, long offset) {
    return SERDE.decode(TopicReader.fetch(consumer, new TopicPartition(topic, partition), offset, Duration.ofSeconds(30))
        .value());
  }


  @Override
  public void close() {
    super.close();
    deployment.close();
  }
}
