package dev.streamfit.trainer;

import dev.streamfit.engine.Classifier;
import dev.streamfit.engine.InputContract;
import dev.streamfit.engine.Models;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.LabelSet;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.schemas.Provenance;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TrainingMetrics;
import dev.streamfit.schemas.TopicsAdmin;
import dev.streamfit.trainer.internal.Checkpoint;
import dev.streamfit.trainer.internal.LabelAdmission;
import dev.streamfit.trainer.internal.LearningCurve;
import dev.streamfit.trainer.internal.ReplayBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer stage: consumes {@code images.augmented} (read_committed), trains the classifier in
 * minibatches drawn from a shuffle buffer, keeps validation/test samples for evaluation, and evaluates at
 * each epoch end, every N steps and when input goes idle (see {@link TrainerPolicy}). Each evaluation is
 * checkpointed, sent to {@code training.metrics}, drawn into {@code learning-curve.png} next to the
 * checkpoints, and published to {@code models} as a self-contained {@link ModelVersion} when its
 * validation accuracy beats the champion's. On start it resumes from the newest readable checkpoint and
 * seeks to the offsets it recorded, so a record is trained into the saved model once. With
 * {@link TrainerConfig#growLabels} a new label grows the head ({@link LabelAdmission}); with rehearsal each minibatch
 * is topped up from a class-balanced {@link ReplayBuffer}; both are checkpointed. Runs on its own
 * thread; {@link #status()} is thread-safe; {@link #close()} stops it.
 */
public final class TrainerStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerStage.class);
  private static final int TRAIN_ACCURACY_SAMPLES = 256;
  /** File name of the learning curve, written next to the checkpoints. */
  public static final String LEARNING_CURVE = "learning-curve.png";
  private static final AvroSerde<AugmentedSample> SAMPLES = AvroSerde.of(AugmentedSample.class);
  private static final AvroSerde<Rejection> REJECTIONS = AvroSerde.of(Rejection.class);
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);
  private static final AvroSerde<TrainingMetrics> METRICS = AvroSerde.of(TrainingMetrics.class);

  private final TrainerConfig config;
  private final Thread thread;
  private final AtomicReference<TrainerStatus> status;
  private volatile boolean running = true;

  // Training state, confined to the trainer thread; everything that shapes the saved model is checkpointed.
  private Classifier model;
  private LabelSet labels;
  private int publishedLabels; // labels of the last published version: those after it are its successor's labels_added
  private ReplayBuffer replay;
  private long step;
  private long samplesTrained;
  private long version;
  private int epoch;
  private boolean epochHasSamples;
  private double champion = Double.NaN;
  private double bestVal = Double.NaN;
  private int evalsSinceBest;
  private boolean stoppedEarly;
  private final List<EvalPoint> history = new ArrayList<>();
  private final Map<String, Long> originOffsets = new TreeMap<>();
  private final Map<String, Long> nextOffsets = new TreeMap<>();
  private final Map<String, AugmentedSample> holdout = new LinkedHashMap<>();
  private final List<AugmentedSample> pending = new ArrayList<>();
  private final TreeSet<String> specHashes = new TreeSet<>();
  private java.util.SplittableRandom shuffle;
  // Since the last evaluation / checkpoint (not checkpointed: only metrics depend on them).
  private double lossSum;
  private long lossCount;
  private long stepsSinceEval;
  private long stepsSinceCheckpoint;
  private long lastCheckpointNanos = System.nanoTime();
  private long evaluatedSamples;
  /** Train samples since the last evaluation, a uniform sample of them (one class: all in index 0). */
  private ReplayBuffer trainSample = new ReplayBuffer(TRAIN_ACCURACY_SAMPLES);
  private Map<String, Double> lastPublishedMetrics = Map.of();
  // A version counted in the checkpoint but maybe not yet on `models` (crash between the two): re-sent on start.
  private long pendingParent = -1;
  private Map<String, Double> pendingMetrics = Map.of();
  private Path lastCheckpoint;

  private TrainerStage(TrainerConfig config) {
    this.config = config;
    this.status = new AtomicReference<>(new TrainerStatus(0, 0, 0, 0, Map.of(), null, null, 0, false, List.of()));
    this.thread = new Thread(this::runLoop, "streamfit-trainer");
    this.thread.setDaemon(false);
  }

  /** Creates missing topics, loads or builds the model, and starts consuming. */
  public static TrainerStage start(TrainerConfig config) {
    dev.streamfit.engine.Natives.load(); // before any thread of this stage starts
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    TrainerStage t = new TrainerStage(config);
    t.labels = LabelSet.of(config.labels(), "trainer.labels");
    t.publishedLabels = t.labels.size();
    t.replay = new ReplayBuffer(config.rehearsal().perClass());
    t.restoreOrInit();
    // The shuffle RNG is a function of (seed, step): a resumed trainer draws what it would have drawn.
    t.shuffle = new java.util.SplittableRandom(config.seed() ^ t.step);
    t.publishStatus(null);
    t.thread.start();
    return t;
  }

  /** Latest progress snapshot; never null. */
  public TrainerStatus status() {
    return status.get();
  }

  private void restoreOrInit() {
    try {
      while (true) {
        var loaded = Checkpoint.newestValid(config.checkpointDir(),
            (path, why) -> LOG.warn("checkpoint {} skipped: {}; falling back to the previous one", path, why));
        if (loaded.isEmpty()) {
          break;
        }
        Checkpoint c = loaded.get().checkpoint();
        try {
          model = Classifier.fromBytes(c.model(), true, InputContract.square(config.imageSize()));
        } catch (IOException | RuntimeException e) {
          LOG.warn("checkpoint {} has a model that does not load ({}); setting it aside", loaded.get().path(), e.toString());
          java.nio.file.Files.move(loaded.get().path(), loaded.get().path().resolveSibling(loaded.get().path().getFileName() + ".bad"));
          continue;
        }
        Map<String, String> x = c.extra();
        if (x.containsKey("labels")) {
          labels = restoredLabels(x.get("labels"), loaded.get().path());
          publishedLabels = Integer.parseInt(x.getOrDefault("labelsPublished", String.valueOf(labels.size())));
        }
        if (model.classes() != labels.size()) {
          throw new IllegalStateException("checkpoint " + loaded.get().path() + " has a model of " + model.classes()
              + " outputs for " + labels.size() + " labels " + labels + "; was --labels changed? Start with the"
              + " labels it was trained with, or a new --checkpoint-dir");
        }
        step = c.step();
        samplesTrained = c.samplesTrained();
        evaluatedSamples = samplesTrained;
        version = c.version();
        originOffsets.putAll(c.originOffsets());
        nextOffsets.putAll(c.nextOffsets());
        List<Long> offered = java.util.Arrays.stream(x.getOrDefault("replay.offered", "").split(","))
            .filter(n -> !n.isEmpty()).map(Long::parseLong).toList();
        for (AugmentedSample s : c.holdout()) {
          int k = s.getSplit() == Split.TRAIN ? labels.indexOf(s.getLabel()) : -1;
          if (k >= 0) { // a rehearsal sample
            replay.restore(s, k, k < offered.size() ? offered.get(k) : 0);
          } else if (s.getSplit() != Split.TRAIN) {
            holdout.put(holdoutKey(s), s);
          }
        }
        epoch = Integer.parseInt(x.getOrDefault("epoch", "0"));
        epochHasSamples = Boolean.parseBoolean(x.getOrDefault("epochHasSamples", "false"));
        champion = Double.parseDouble(x.getOrDefault("champion", "NaN"));
        bestVal = Double.parseDouble(x.getOrDefault("bestVal", "NaN"));
        evalsSinceBest = Integer.parseInt(x.getOrDefault("evalsSinceBest", "0"));
        stoppedEarly = Boolean.parseBoolean(x.getOrDefault("stoppedEarly", "false"));
        specHashes.addAll(java.util.Arrays.stream(x.getOrDefault("specHashes", "").split(",")).filter(h -> !h.isEmpty()).toList());
        history.addAll(c.history());
        if (x.containsKey("pending.parent")) {
          pendingParent = Long.parseLong(x.get("pending.parent"));
          Map<String, Double> m = new TreeMap<>();
          x.forEach((k, v) -> {
            if (k.startsWith("pending.metric.")) {
              m.put(k.substring("pending.metric.".length()), Double.parseDouble(v));
            }
          });
          pendingMetrics = m;
        }
        lastCheckpoint = loaded.get().path();
        LOG.info("resumed from checkpoint {} (step {}, epoch {}, version {}, {} labels, offsets {})", loaded.get().path(),
            step, epoch, version, labels.size(), nextOffsets);
        return;
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read checkpoints in " + config.checkpointDir() + ": " + e.getMessage(), e);
    }
    long t0 = System.nanoTime();
    model = Classifier.create(config.base(), config.training(), config.scratch(), labels.labels(), config.seed(),
        config.imageSize());
    LOG.info("built classifier on {} in {} ms; trainable layers {}", config.base().id(),
        (System.nanoTime() - t0) / 1_000_000, model.trainableLayers());
  }

  private void runLoop() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.AUGMENTED_MAX_BYTES);
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(config.batchSize(), 32));
    props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 600_000);
    // Kafka warns when idle connections close before a poll may be late (540 s default < 600 s).
    props.put(ConsumerConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG, 660_000);
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      // Manual assignment, not a group subscription: one trainer owns every partition of its input, and a
      // restarted trainer must not wait for the killed one's group session to expire (45 s by default).
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(config.topics().augmented(), Duration.ofSeconds(30))
          .forEach(pi -> parts.add(new TopicPartition(pi.topic(), pi.partition())));
      c.assign(parts);
      for (TopicPartition tp : parts) {
        Long next = nextOffsets.get(key(tp));
        if (next != null) {
          c.seek(tp, next);
        } else {
          c.seekToBeginning(List.of(tp));
        }
      }
      if (pendingParent >= 0) {
        // The checkpoint counted version `version` as published; the crash may have come before the send.
        // Unless it is the last record on `models`, re-send it from the restored (identical) model: same
        // key, so the compacted topic keeps one, and serving ignores a version it already has.
        if (lastModelKey().equals(config.modelName() + "@" + version)) {
          pendingParent = -1;
          pendingMetrics = Map.of();
        } else {
          LOG.info("re-publishing v{} recorded as pending in the checkpoint", version);
          publishVersion(producer, pendingMetrics, pendingParent);
        }
      }
      long lastRecordAt = System.currentTimeMillis();
      while (running) {
        if (stoppedEarly) {
          Thread.sleep(200); // consume nothing more; stay up so that status and offsets remain visible
          continue;
        }
        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> r : records) {
          AugmentedSample s = decode(r, producer);
          if (s != null && s.getSplit() == Split.TRAIN && s.getEpoch() > epoch) {
            // Epoch barrier: the first sample of a later epoch closes the current one. It is not yet
            // consumed, so the epoch-end checkpoint's offsets stop just before it.
            if (epochHasSamples || !pending.isEmpty()) {
              drain();
              evaluate(producer, c, "epoch_end");
              if (stoppedEarly) {
                break;
              }
            }
            epoch = s.getEpoch();
            epochHasSamples = false;
          }
          consume(r, s);
          lastRecordAt = System.currentTimeMillis();
        }
        if (stoppedEarly) {
          continue;
        }
        // Shuffle buffer: a stream arrives in source order (often one class at a time); minibatches are
        // drawn at random from a buffer of shuffle-buffer samples so that each is a mix of classes.
        while (pending.size() >= Math.max(config.shuffleBuffer(), config.batchSize())) {
          trainStep(drawBatch());
        }
        TrainerPolicy p = config.policy();
        boolean idle = records.isEmpty() && System.currentTimeMillis() - lastRecordAt >= p.idleMs();
        if ((idle && (!pending.isEmpty() || stepsSinceEval > 0))
            || (p.evalEverySteps() > 0 && stepsSinceEval >= p.evalEverySteps())) {
          drain();
          evaluate(producer, c, idle ? "idle" : "every_steps");
        } else if (stepsSinceCheckpoint > 0 && ((p.checkpointEverySteps() > 0 && stepsSinceCheckpoint >= p.checkpointEverySteps())
            || (p.checkpointEverySeconds() > 0 && System.nanoTime() - lastCheckpointNanos >= p.checkpointEverySeconds() * 1_000_000_000L))) {
          drain();
          checkpoint(false);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException | IOException e) {
      LOG.error("trainer stopped", e);
      publishStatus(e.toString());
    } finally {
      if (model != null) {
        model.close(); // native memory back now, not at some finalizer
      }
    }
  }

  /** The record's sample if it is one to learn from or evaluate on; null (after a rejection if bad) otherwise. */
  private AugmentedSample decode(ConsumerRecord<String, byte[]> r, KafkaProducer<String, byte[]> producer) {
    AugmentedSample s;
    try {
      s = SAMPLES.decode(r.value());
      if (s == null) {
        throw new org.apache.kafka.common.errors.SerializationException("tombstone");
      }
    } catch (RuntimeException e) {
      reject(producer, r, RejectReason.MALFORMED_RECORD, e.getMessage());
      return null;
    }
    int expected = config.imageSize() * config.imageSize() * 3;
    if (s.getHeight() != config.imageSize() || s.getWidth() != config.imageSize() || s.getChannels() != 3
        || s.getPixels().remaining() != expected) {
      reject(producer, r, RejectReason.BAD_SHAPE, "sample is " + s.getHeight() + "x" + s.getWidth() + "x" + s.getChannels()
          + " with " + s.getPixels().remaining() + " bytes; trainer expects " + config.imageSize() + "x" + config.imageSize() + "x3");
      return null;
    }
    if (s.getSplit() == Split.UNLABELED) {
      return null; // nothing to learn from; not an error
    }
    LabelAdmission admission = LabelAdmission.of(labels, config.growLabels(), s.getLabel());
    if (admission instanceof LabelAdmission.Refused no) {
      reject(producer, r, no.reason(), no.message());
      return null;
    }
    if (admission instanceof LabelAdmission.Added added) {
      grow(added.labels());
    }
    return s;
  }

  /**
   * The head gains an output for the new last label of {@code grown}. The champion's score and the best validation
   * accuracy are forgotten: they were measured on classes without it, so the next evaluation publishes.
   */
  private void grow(LabelSet grown) {
    model.growHead(grown.size());
    labels = grown;
    champion = Double.NaN;
    bestVal = Double.NaN;
    evalsSinceBest = 0;
    LOG.info("label '{}' added: the head now has {} outputs; the next evaluation publishes a version with {} labels",
        grown.labels().get(grown.size() - 1), grown.size(), grown.size());
  }

  /** Labels recorded in a checkpoint; those the trainer was started with must be their first ones. */
  private LabelSet restoredLabels(String csv, Path from) {
    LabelSet saved = LabelSet.parse(csv, "labels of checkpoint " + from);
    if (saved.size() < config.labels().size() || !saved.labels().subList(0, config.labels().size()).equals(config.labels())) {
      throw new IllegalStateException("checkpoint " + from + " was trained on labels " + saved + ", which do not start with"
          + " the configured " + config.labels() + "; start with the labels it was trained with, or a new --checkpoint-dir");
    }
    return saved;
  }

  /** Marks {@code r} consumed and keeps its sample (null: nothing to keep). */
  private void consume(ConsumerRecord<String, byte[]> r, AugmentedSample s) {
    String tp = key(new TopicPartition(r.topic(), r.partition()));
    originOffsets.putIfAbsent(tp, r.offset());
    nextOffsets.put(tp, r.offset() + 1);
    if (s == null) {
      return;
    }
    if (s.getSplit() == Split.TRAIN) {
      pending.add(s);
      epochHasSamples = true;
      specHashes.add(s.getAugmentation().getSpecHash());
      // Reservoir of train samples since the last evaluation, for the train accuracy of the learning curve.
      trainSample.offer(s, 0, shuffle);
    } else {
      holdout.put(holdoutKey(s), s);
    }
  }

  private void reject(KafkaProducer<String, byte[]> producer, ConsumerRecord<String, byte[]> r, RejectReason reason, String msg) {
    Rejection rej = Rejection.newBuilder().setOriginalKey(r.key()).setStage("trainer").setReason(reason.code())
        .setMessage(msg == null ? reason.code() : msg).setSourceTopic(r.topic()).setSourcePartition(r.partition())
        .setSourceOffset(r.offset()).setRejectedAt(Instant.now()).build();
    producer.send(new ProducerRecord<>(config.topics().rejected(), r.key(), REJECTIONS.encode(rej)));
    LOG.warn("rejected {}@{}:{}: {} {}", r.key(), r.partition(), r.offset(), reason.code(), msg);
  }

  /** Removes and returns up to one minibatch of samples picked at random from the shuffle buffer. */
  private List<AugmentedSample> drawBatch() {
    int n = Math.min(config.batchSize(), pending.size());
    List<AugmentedSample> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int j = shuffle.nextInt(pending.size());
      AugmentedSample last = pending.remove(pending.size() - 1);
      batch.add(j == pending.size() ? last : pending.set(j, last));
    }
    return batch;
  }

  private void trainStep(List<AugmentedSample> batch) {
    double ratio = config.rehearsal().ratio();
    List<AugmentedSample> all = new ArrayList<>(batch);
    if (ratio > 0) {
      int[] inBatch = new int[labels.size()];
      batch.forEach(s -> inBatch[labels.indexOf(s.getLabel())]++);
      all.addAll(replay.draw((int) Math.round(batch.size() * ratio), inBatch, shuffle));
    }
    List<byte[]> pixels = new ArrayList<>(all.size());
    int[] y = new int[all.size()];
    for (int i = 0; i < all.size(); i++) {
      pixels.add(Hashes.copyOf(all.get(i).getPixels()));
      y[i] = labels.indexOf(all.get(i).getLabel());
    }
    if (ratio > 0) {
      for (AugmentedSample s : batch) {
        replay.offer(s, labels.indexOf(s.getLabel()), shuffle);
      }
    }
    double f = config.schedule().factor(step);
    model.setLearningRates(config.training().learningRate() * f, config.training().baseLearningRate() * f);
    double loss = model.fit(pixels, y);
    if (Double.isFinite(loss)) {
      lossSum += loss * batch.size();
      lossCount += batch.size();
    }
    step++;
    stepsSinceEval++;
    stepsSinceCheckpoint++;
    samplesTrained += batch.size();
    publishStatus(null);
    LOG.debug("step {} ({} samples) loss {} lr {}", step, batch.size(), loss, config.training().learningRate() * f);
  }

  /** Trains every buffered sample (a barrier before evaluations and checkpoints: offsets then match the model). */
  private void drain() {
    while (!pending.isEmpty()) {
      trainStep(drawBatch());
    }
  }

  private static int argMax(double[] p) {
    int best = 0;
    for (int c = 1; c < p.length; c++) {
      best = p[c] > p[best] ? c : best;
    }
    return best;
  }

  /** Accuracy, loss and count of {@code set} into {@code metrics} under {@code name}; per-class accuracy into {@code perClass}. */
  private void score(List<AugmentedSample> set, String name, Map<String, Double> metrics, Map<String, Double> perClass) {
    int n = labels.size();
    int[] correctPer = new int[n];
    int[] totalPer = new int[n];
    int correct = 0;
    double loss = 0;
    for (int from = 0; from < set.size(); from += 32) {
      List<AugmentedSample> chunk = set.subList(from, Math.min(set.size(), from + 32));
      double[][] out = model.probabilities(chunk.stream().map(s -> Hashes.copyOf(s.getPixels())).toList());
      for (int i = 0; i < chunk.size(); i++) {
        int truth = labels.indexOf(chunk.get(i).getLabel());
        boolean ok = argMax(out[i]) == truth;
        correct += ok ? 1 : 0;
        correctPer[truth] += ok ? 1 : 0;
        totalPer[truth]++;
        loss -= Math.log(Math.max(1e-12, out[i][truth]));
      }
    }
    metrics.put(name + ".accuracy", correct / (double) set.size());
    metrics.put(name + ".loss", loss / set.size());
    metrics.put(name + ".count", (double) set.size());
    if (perClass != null) {
      for (int k = 0; k < n; k++) {
        if (totalPer[k] > 0) {
          perClass.put(labels.labels().get(k), correctPer[k] / (double) totalPer[k]);
        }
      }
    }
  }

  /** Validation and train metrics (test is scored only for a version about to be published, see {@link #scoreTest}). */
  private Map<String, Double> measure(Map<String, Double> perClassVal) {
    Map<String, Double> metrics = new TreeMap<>();
    List<AugmentedSample> val = held(Split.VALIDATION);
    if (!val.isEmpty()) {
      score(val, "val", metrics, perClassVal);
    }
    if (trainSample.size() > 0) {
      score(trainSample.all(), "train", metrics, null);
      metrics.remove("train.count");
      metrics.remove("train.loss"); // the mean minibatch loss below is the train loss
    }
    if (lossCount > 0) {
      metrics.put("train.loss", lossSum / lossCount);
    }
    metrics.put("train.samples", (double) samplesTrained);
    metrics.put("train.steps", (double) step);
    return metrics;
  }

  /**
   * Adds test loss/accuracy to {@code metrics}. Called only for a version that will be published: the test
   * split is looked at once per champion, never to choose one.
   */
  private void scoreTest(Map<String, Double> metrics) {
    List<AugmentedSample> test = held(Split.TEST);
    if (!test.isEmpty()) {
      score(test, "test", metrics, null);
    }
  }

  /** What a checkpoint keeps besides the model: the held-out samples, then the rehearsal samples (split TRAIN). */
  private List<AugmentedSample> held() {
    List<AugmentedSample> out = new ArrayList<>(holdout.values());
    out.addAll(replay.all());
    return out;
  }

  private List<AugmentedSample> held(Split split) {
    return holdout.values().stream().filter(s -> s.getSplit() == split).toList();
  }

  /**
   * Evaluates on the validation samples (and, for a version to publish, the test samples), records the
   * point, checkpoints, sends it to {@code training.metrics},
   * redraws the learning curve and publishes a model version if it beats the champion. Call after
   * {@link #drain()}.
   */
  private void evaluate(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, byte[]> c, String trigger)
      throws IOException {
    long t0 = System.nanoTime();
    Map<String, Double> perClass = new TreeMap<>();
    Map<String, Double> metrics = measure(perClass);
    long tMeasured = System.nanoTime();
    double val = metrics.getOrDefault("val.accuracy", Double.NaN);
    double lr = config.training().learningRate() * config.schedule().factor(Math.max(0, step - 1));
    boolean publish = config.policy().beats(val, champion);
    boolean best = Double.isFinite(val) && (Double.isNaN(bestVal) || val > bestVal);
    if (best) {
      bestVal = val;
      evalsSinceBest = 0;
    } else if (Double.isFinite(val)) {
      evalsSinceBest++;
    }
    long parent = version;
    if (publish) {
      scoreTest(metrics);
      version++;
      pendingParent = parent;
      pendingMetrics = Map.copyOf(metrics);
      if (Double.isFinite(val)) {
        champion = Double.isNaN(champion) ? val : Math.max(champion, val);
      }
    }
    int patience = config.policy().earlyStopPatience();
    if (patience > 0 && evalsSinceBest >= patience) {
      stoppedEarly = true;
    }
    EvalPoint point = new EvalPoint(step, epoch, trigger, lr, metrics.getOrDefault("train.loss", Double.NaN),
        metrics.getOrDefault("train.accuracy", Double.NaN), metrics.getOrDefault("val.loss", Double.NaN), val,
        metrics.getOrDefault("test.accuracy", Double.NaN), publish ? version : 0);
    history.add(point);
    checkpoint(best);
    long tCheckpointed = System.nanoTime();
    try {
      String tuned = config.training().trainableBlocks() == 0 ? "frozen"
          : "top " + config.training().trainableBlocks() + " blocks at " + config.training().baseLearningRate();
      LearningCurve.write(history, config.modelName() + " — " + config.base().id() + " (" + tuned + "), "
          + config.training().describeOptimizer() + ", " + config.schedule().describe(),
          config.checkpointDir().resolve(LEARNING_CURVE));
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot draw the learning curve: {}", e.toString());
    }
    int modelMb = publish ? publishVersion(producer, metrics, parent) : 0;
    send(producer, config.topics().trainingMetrics(), config.modelName(), METRICS.encode(TrainingMetrics.newBuilder()
        .setModelName(config.modelName()).setStep(step).setEpoch(epoch).setTrigger(trigger).setEvaluatedAt(Instant.now())
        .setSamplesTrained(samplesTrained).setLearningRate(lr).setMetrics(new LinkedHashMap<>(metrics))
        .setPerClassValAccuracy(new LinkedHashMap<>(perClass)).setPublishedVersion(publish ? version : null)
        .setChampionValAccuracy(Double.isNaN(champion) ? null : champion).build()));
    // Offsets committed for monitoring (lag); the checkpoint is the source of truth on restart.
    Map<TopicPartition, OffsetAndMetadata> commit = new LinkedHashMap<>();
    nextOffsets.forEach((key, next) -> commit.put(partition(key), new OffsetAndMetadata(next)));
    c.commitSync(commit);
    stepsSinceEval = 0;
    lossSum = 0;
    lossCount = 0;
    trainSample = new ReplayBuffer(TRAIN_ACCURACY_SAMPLES);
    evaluatedSamples = samplesTrained;
    publishStatus(null);
    LOG.info(String.format(java.util.Locale.ROOT,
        "%s epoch %d step %d: train loss %.4f acc %.4f | val loss %.4f acc %.4f | lr %.2e | %s (evaluate %d ms, checkpoint %d ms, total %d ms)",
        trigger, epoch + 1, step, point.trainLoss(), point.trainAccuracy(), point.valLoss(), val, lr,
        publish ? "published v" + version + " (" + modelMb + " MB)"
            : "not published (champion val " + champion + ", margin " + config.policy().publishMargin() + ")",
        (tMeasured - t0) / 1_000_000, (tCheckpointed - tMeasured) / 1_000_000, (System.nanoTime() - t0) / 1_000_000));
    if (stoppedEarly) {
      LOG.info("early stopping: no better validation accuracy in {} evaluations (best {}); training ends, champion v{}",
          patience, bestVal, version);
    }
  }

  private Path checkpoint(boolean best) throws IOException {
    Map<String, String> extra = new TreeMap<>();
    extra.put("epoch", String.valueOf(epoch));
    extra.put("epochHasSamples", String.valueOf(epochHasSamples));
    extra.put("champion", String.valueOf(champion));
    extra.put("bestVal", String.valueOf(bestVal));
    extra.put("evalsSinceBest", String.valueOf(evalsSinceBest));
    extra.put("stoppedEarly", String.valueOf(stoppedEarly));
    extra.put("specHashes", String.join(",", specHashes));
    extra.put("shuffleRng", "SplittableRandom(seed ^ step)");
    extra.put("labels", String.join(",", labels.labels()));
    extra.put("labelsPublished", String.valueOf(publishedLabels));
    extra.put("replay.offered", replay.offered().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")));
    if (pendingParent >= 0) {
      extra.put("pending.parent", String.valueOf(pendingParent));
      pendingMetrics.forEach((k, v) -> extra.put("pending.metric." + k, String.valueOf(v)));
    }
    lastCheckpoint = new Checkpoint(step, samplesTrained, version, originOffsets, nextOffsets, model.toBytes(true),
        held(), extra, history).write(config.checkpointDir(), config.policy().keepCheckpoints(), best);
    stepsSinceCheckpoint = 0;
    lastCheckpointNanos = System.nanoTime();
    return lastCheckpoint;
  }

  /** Key of the last record on {@code models} ("" if none or unreadable within 10 s). */
  private String lastModelKey() {
    TopicPartition tp = new TopicPartition(config.topics().models(), 0);
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
        config.bootstrapServers(), ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_BYTES,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_BYTES), new StringDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      long end = c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
      if (end == 0) {
        return "";
      }
      c.seek(tp, end - 1);
      long deadline = System.currentTimeMillis() + 10_000;
      String key = "";
      while (c.position(tp) < end && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          key = r.key() == null ? "" : r.key();
        }
      }
      return key;
    } catch (RuntimeException e) {
      LOG.warn("cannot read the last record of {}: {}", tp, e.toString());
      return "";
    }
  }

  /** Sends the current model as version {@code version} to {@code models}; returns its size in MB. */
  private int publishVersion(KafkaProducer<String, byte[]> producer, Map<String, Double> metrics, long parent) {
    byte[] modelBytes = model.toBytes(false);
    send(producer, config.topics().models(), config.modelName() + "@" + version,
        VERSIONS.encode(modelVersion(modelBytes, metrics, parent)));
    lastPublishedMetrics = Map.copyOf(metrics);
    publishedLabels = labels.size();
    pendingParent = -1;
    pendingMetrics = Map.of();
    publishStatus(null);
    return modelBytes.length / 1_000_000;
  }

  private ModelVersion modelVersion(byte[] modelBytes, Map<String, Double> metrics, long parent) {
    List<OffsetRange> ranges = new ArrayList<>();
    nextOffsets.forEach((key, next) -> {
      TopicPartition tp = partition(key);
      ranges.add(new OffsetRange(tp.topic(), tp.partition(), originOffsets.getOrDefault(key, 0L), next));
    });
    return ModelVersion.newBuilder()
        .setModelName(config.modelName()).setVersion(version).setCreatedAt(Instant.now()).setFormat(Models.FORMAT)
        .setModelBytes(ByteBuffer.wrap(modelBytes)).setSha256(Hashes.sha256Hex(modelBytes)).setLabels(labels.labels())
        .setInput(model.contract().toSpec())
        .setMetrics(new LinkedHashMap<>(metrics))
        .setProvenance(Provenance.newBuilder().setParentVersion(parent == 0 ? null : parent).setBaseModel(config.base().id())
            .setRunSeed(config.seed()).setConfig(config.asMap()).setAugmentationSpecHashes(specHashes()).setOffsets(ranges)
            .setSteps(step).setSamplesTrained(samplesTrained).setCommit(System.getProperty("streamfit.commit"))
            .setLabelsAdded(List.copyOf(labels.labels().subList(publishedLabels, labels.size()))).build())
        .build();
  }

  private static void send(KafkaProducer<String, byte[]> producer, String topic, String key, byte[] value) {
    try {
      producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending to " + topic, e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot send " + key + " to " + topic + ": " + e.getCause(), e.getCause());
    }
  }

  private List<String> specHashes() {
    return List.copyOf(specHashes);
  }

  private void publishStatus(String failure) {
    int val = (int) holdout.values().stream().filter(s -> s.getSplit() == Split.VALIDATION).count();
    status.set(new TrainerStatus(step, samplesTrained, val, version, lastPublishedMetrics, lastCheckpoint, failure,
        evaluatedSamples, stoppedEarly, history));
  }

  /** Offset-map key of a partition, {@code topic:partition} (the form checkpoints store). */
  private static String key(TopicPartition tp) {
    return tp.topic() + ":" + tp.partition();
  }

  private static TopicPartition partition(String key) {
    int colon = key.lastIndexOf(':');
    return new TopicPartition(key.substring(0, colon), Integer.parseInt(key.substring(colon + 1)));
  }

  private static String holdoutKey(AugmentedSample s) {
    return s.getSplit() + "/" + s.getSourceId();
  }

  private Map<String, Object> producerProps() {
    return Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_BYTES,
        ProducerConfig.BUFFER_MEMORY_CONFIG, 2L * Topics.MODEL_MAX_BYTES);
  }

  @Override
  public void close() {
    running = false;
    try {
      thread.join(120_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
