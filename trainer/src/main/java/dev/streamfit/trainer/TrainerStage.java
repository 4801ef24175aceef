package dev.streamfit.trainer;

import dev.streamfit.engine.CpuTuning;
import dev.streamfit.engine.InputEncoder;
import dev.streamfit.engine.Models;
import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.InputSpec;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.OffsetRange;
import dev.streamfit.schemas.Provenance;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.schemas.TopicsAdmin;
import dev.streamfit.trainer.internal.Checkpoint;
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
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The trainer stage: consumes {@code images.augmented} (read_committed), trains the classifier in
 * minibatches, keeps validation/test samples for evaluation, and whenever input goes idle (or every N
 * steps) evaluates, writes a checkpoint and publishes a self-contained {@link ModelVersion} to
 * {@code models}. On start it resumes from the newest readable checkpoint and seeks to the offsets it
 * recorded, so a record is trained into the saved model once. Runs on its own thread;
 * {@link #status()} is thread-safe; {@link #close()} stops it.
 */
public final class TrainerStage implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerStage.class);
  private static final int KEEP_CHECKPOINTS = 3;
  private static final AvroSerde<AugmentedSample> SAMPLES = AvroSerde.of(AugmentedSample.class);
  private static final AvroSerde<Rejection> REJECTIONS = AvroSerde.of(Rejection.class);
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);

  private final TrainerConfig config;
  private final Thread thread;
  private final AtomicReference<TrainerStatus> status;
  private final InputEncoder encoder;
  private volatile boolean running = true;
  private KafkaConsumer<String, byte[]> consumer;

  // Training state, confined to the trainer thread.
  private ComputationGraph graph;
  private long step;
  private long samplesTrained;
  private long version;
  private long stepsSincePublish;
  private final Map<String, Long> originOffsets = new TreeMap<>();
  private final Map<String, Long> nextOffsets = new TreeMap<>();
  private final Map<String, AugmentedSample> holdout = new LinkedHashMap<>();
  private final List<AugmentedSample> pending = new ArrayList<>();
  private final TreeSet<String> specHashes = new TreeSet<>();
  private double lastLoss = Double.NaN;
  private java.util.SplittableRandom shuffle;

  private TrainerStage(TrainerConfig config) {
    this.config = config;
    this.encoder = new InputEncoder(config.imageSize(), config.imageSize(), InputEncoder.NCHW);
    this.status = new AtomicReference<>(new TrainerStatus(0, 0, 0, 0, Map.of(), null, null));
    this.thread = new Thread(this::runLoop, "streamfit-trainer");
    this.thread.setDaemon(false);
  }

  /** Creates missing topics, loads or builds the model, and starts consuming. */
  public static TrainerStage start(TrainerConfig config) {
    TopicsAdmin.ensure(config.bootstrapServers(), config.topics(), Duration.ofSeconds(30));
    TrainerStage t = new TrainerStage(config);
    t.restoreOrInit();
    t.shuffle = new java.util.SplittableRandom(config.seed() ^ t.step);
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
          graph = Models.fromBytes(c.model(), true);
        } catch (IOException | RuntimeException e) {
          LOG.warn("checkpoint {} has a model that does not load ({}); setting it aside", loaded.get().path(), e.toString());
          java.nio.file.Files.move(loaded.get().path(), loaded.get().path().resolveSibling(loaded.get().path().getFileName() + ".bad"));
          continue;
        }
        step = c.step();
        samplesTrained = c.samplesTrained();
        version = c.version();
        originOffsets.putAll(c.originOffsets());
        nextOffsets.putAll(c.nextOffsets());
        c.holdout().forEach(s -> holdout.put(holdoutKey(s), s));
        LOG.info("resumed from checkpoint {} (step {}, version {}, offsets {})", loaded.get().path(), step, version, nextOffsets);
        publishStatus(Map.of(), loaded.get().path(), null);
        return;
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot read checkpoints in " + config.checkpointDir() + ": " + e.getMessage(), e);
    }
    long t0 = System.nanoTime();
    graph = Models.newClassifier(config.base(), config.head(), config.labels(), config.learningRate(), config.seed(),
        config.imageSize());
    LOG.info("built classifier on {} in {} ms", config.base().id(), (System.nanoTime() - t0) / 1_000_000);
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
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      consumer = c;
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
      long lastRecordAt = System.currentTimeMillis();
      while (running) {
        ConsumerRecords<String, byte[]> records = c.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> r : records) {
          accept(r, producer);
          lastRecordAt = System.currentTimeMillis();
        }
        // Shuffle buffer: a stream arrives in source order (often one class at a time); minibatches are
        // drawn at random from a buffer of shuffle-buffer samples so that each is a mix of classes.
        while (pending.size() >= Math.max(config.shuffleBuffer(), config.batchSize())) {
          trainStep(drawBatch());
        }
        boolean idle = records.isEmpty() && System.currentTimeMillis() - lastRecordAt >= config.publishIdleMs();
        boolean due = config.publishEverySteps() > 0 && stepsSincePublish >= config.publishEverySteps();
        if ((idle && (!pending.isEmpty() || stepsSincePublish > 0)) || due) {
          while (!pending.isEmpty()) {
            trainStep(drawBatch());
          }
          publish(producer, c);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException | IOException e) {
      LOG.error("trainer stopped", e);
      TrainerStatus s = status.get();
      status.set(new TrainerStatus(s.steps(), s.samplesTrained(), s.validationSamples(), s.lastVersion(),
          s.lastMetrics(), s.lastCheckpoint(), e.toString()));
    }
  }

  private void accept(ConsumerRecord<String, byte[]> r, KafkaProducer<String, byte[]> producer) {
    String tp = key(new TopicPartition(r.topic(), r.partition()));
    originOffsets.putIfAbsent(tp, r.offset());
    nextOffsets.put(tp, r.offset() + 1);
    AugmentedSample s;
    try {
      s = SAMPLES.decode(r.value());
      if (s == null) {
        throw new org.apache.kafka.common.errors.SerializationException("tombstone");
      }
    } catch (RuntimeException e) {
      reject(producer, r, RejectReason.MALFORMED_RECORD, e.getMessage());
      return;
    }
    int expected = config.imageSize() * config.imageSize() * 3;
    if (s.getHeight() != config.imageSize() || s.getWidth() != config.imageSize() || s.getChannels() != 3
        || s.getPixels().remaining() != expected) {
      reject(producer, r, RejectReason.BAD_SHAPE, "sample is " + s.getHeight() + "x" + s.getWidth() + "x" + s.getChannels()
          + " with " + s.getPixels().remaining() + " bytes; trainer expects " + config.imageSize() + "x" + config.imageSize() + "x3");
      return;
    }
    if (s.getSplit() == Split.UNLABELED) {
      return; // nothing to learn from; not an error
    }
    if (s.getLabel() == null || !config.labels().contains(s.getLabel())) {
      reject(producer, r, RejectReason.UNKNOWN_LABEL, "label '" + s.getLabel() + "' is not one of " + config.labels());
      return;
    }
    if (s.getSplit() == Split.TRAIN) {
      pending.add(s);
      specHashes.add(s.getAugmentation().getSpecHash());
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
    List<byte[]> pixels = new ArrayList<>(batch.size());
    float[] y = new float[batch.size() * config.labels().size()];
    for (int i = 0; i < batch.size(); i++) {
      pixels.add(Hashes.copyOf(batch.get(i).getPixels()));
      y[i * config.labels().size() + config.labels().indexOf(batch.get(i).getLabel())] = 1f;
    }
    try (INDArray x = encoder.encode(pixels); INDArray labels = Nd4j.create(y, new long[] {batch.size(), config.labels().size()})) {
      CpuTuning.threadsForBatch(batch.size());
      graph.fit(new DataSet(x, labels));
    }
    lastLoss = graph.score();
    step++;
    stepsSincePublish++;
    samplesTrained += batch.size();
    publishStatus(status.get().lastMetrics(), status.get().lastCheckpoint(), null);
    LOG.info("step {} ({} samples) loss {}", step, batch.size(), String.format("%.4f", lastLoss));
  }

  private INDArray forward(INDArray x, int n) {
    CpuTuning.threadsForBatch(n);
    return graph.outputSingle(false, x);
  }

  private Map<String, Double> evaluate() {
    Map<String, Double> metrics = new TreeMap<>();
    for (Split split : List.of(Split.VALIDATION, Split.TEST)) {
      List<AugmentedSample> set = holdout.values().stream().filter(s -> s.getSplit() == split).toList();
      if (set.isEmpty()) {
        continue;
      }
      int correct = 0;
      double loss = 0;
      for (int from = 0; from < set.size(); from += 32) {
        List<AugmentedSample> chunk = set.subList(from, Math.min(set.size(), from + 32));
        try (INDArray x = encoder.encode(chunk.stream().map(s -> Hashes.copyOf(s.getPixels())).toList());
            INDArray out = forward(x, chunk.size())) {
          int[] pred = out.argMax(1).toIntVector();
          for (int i = 0; i < chunk.size(); i++) {
            int truth = config.labels().indexOf(chunk.get(i).getLabel());
            correct += pred[i] == truth ? 1 : 0;
            loss -= Math.log(Math.max(1e-12, out.getDouble(i, truth)));
          }
        }
      }
      String name = split == Split.VALIDATION ? "val" : "test";
      metrics.put(name + ".accuracy", correct / (double) set.size());
      metrics.put(name + ".loss", loss / set.size());
      metrics.put(name + ".count", (double) set.size());
    }
    if (!Double.isNaN(lastLoss)) {
      metrics.put("train.loss", lastLoss);
    }
    metrics.put("train.samples", (double) samplesTrained);
    metrics.put("train.steps", (double) step);
    return metrics;
  }

  private void publish(KafkaProducer<String, byte[]> producer, KafkaConsumer<String, byte[]> c) throws IOException {
    long t0 = System.nanoTime();
    Map<String, Double> metrics = evaluate();
    long parent = version;
    version++;
    Path ckpt = new Checkpoint(step, samplesTrained, version, originOffsets, nextOffsets, Models.toBytes(graph, true),
        List.copyOf(holdout.values())).write(config.checkpointDir(), KEEP_CHECKPOINTS);
    byte[] modelBytes = Models.toBytes(graph, false);
    List<OffsetRange> ranges = new ArrayList<>();
    nextOffsets.forEach((key, next) -> {
      TopicPartition tp = partition(key);
      ranges.add(new OffsetRange(tp.topic(), tp.partition(), originOffsets.getOrDefault(key, 0L), next));
    });
    ModelVersion mv = ModelVersion.newBuilder()
        .setModelName(config.modelName()).setVersion(version).setCreatedAt(Instant.now()).setFormat(Models.FORMAT)
        .setModelBytes(ByteBuffer.wrap(modelBytes)).setSha256(Hashes.sha256Hex(modelBytes)).setLabels(config.labels())
        .setInput(new InputSpec(config.imageSize(), config.imageSize(), 3, encoder.layout(), InputEncoder.MINUS_ONE_TO_ONE))
        .setMetrics(new LinkedHashMap<>(metrics))
        .setProvenance(Provenance.newBuilder().setParentVersion(parent == 0 ? null : parent).setBaseModel(config.base().id())
            .setRunSeed(config.seed()).setConfig(config.asMap()).setAugmentationSpecHashes(specHashes()).setOffsets(ranges)
            .setSteps(step).setSamplesTrained(samplesTrained).setCommit(System.getProperty("streamfit.commit")).build())
        .build();
    try {
      producer.send(new ProducerRecord<>(config.topics().models(), config.modelName() + "@" + version,
          VERSIONS.encode(mv))).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("cannot publish model version " + version + ": " + e.getCause(), e.getCause());
    }
    // Offsets committed for monitoring (lag); the checkpoint is the source of truth on restart.
    Map<TopicPartition, OffsetAndMetadata> commit = new LinkedHashMap<>();
    nextOffsets.forEach((key, next) -> commit.put(partition(key), new OffsetAndMetadata(next)));
    c.commitSync(commit);
    stepsSincePublish = 0;
    publishStatus(metrics, ckpt, null);
    LOG.info("published {} v{} ({} MB) metrics {} checkpoint {} in {} ms", config.modelName(), version,
        modelBytes.length / 1_000_000, metrics, ckpt, (System.nanoTime() - t0) / 1_000_000);
  }

  private List<String> specHashes() {
    return List.copyOf(specHashes);
  }

  private void publishStatus(Map<String, Double> metrics, Path ckpt, String failure) {
    int val = (int) holdout.values().stream().filter(s -> s.getSplit() == Split.VALIDATION).count();
    status.set(new TrainerStatus(step, samplesTrained, val, version, metrics, ckpt, failure));
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
