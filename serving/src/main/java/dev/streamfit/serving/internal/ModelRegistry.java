package dev.streamfit.serving.internal;

import dev.streamfit.engine.Models;
import dev.streamfit.engine.Predictor;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Topics;
import dev.streamfit.serving.ActiveModel;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the {@code models} topic from the beginning (no consumer group: every serving instance sees
 * every version) and activates each newer version that verifies: decodable record, SHA-256 matches,
 * graph loads, output width equals the label count. A version that fails is logged and never answers.
 */
public final class ModelRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
  private final String bootstrapServers;
  private final String topic;
  private final AtomicReference<ActiveModel> active = new AtomicReference<>();
  private final AtomicLong rejectedVersions = new AtomicLong();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;

  public ModelRegistry(String bootstrapServers, Topics topics) {
    this.bootstrapServers = bootstrapServers;
    this.topic = topics.models();
    this.thread = new Thread(this::run, "streamfit-model-registry");
    this.thread.setDaemon(true);
  }

  public void start() {
    thread.start();
  }

  /** The active model, or null before the first version loads. */
  public ActiveModel active() {
    return active.get();
  }

  /** Versions that failed verification. */
  public long rejectedVersions() {
    return rejectedVersions.get();
  }

  private void run() {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_BYTES,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_BYTES,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4);
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = c;
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, Duration.ofSeconds(30)).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      while (running) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          consider(r);
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.error("model registry stopped", e);
    }
  }

  private void consider(ConsumerRecord<String, byte[]> r) {
    ModelVersion mv;
    try {
      mv = AvroSerde.of(ModelVersion.class).decode(r.value());
    } catch (RuntimeException e) {
      rejectedVersions.incrementAndGet();
      LOG.warn("models record at offset {} is not a ModelVersion: {}", r.offset(), e.getMessage());
      return;
    }
    if (mv == null) {
      return;
    }
    ActiveModel current = active.get();
    if (current != null && mv.getVersion() <= current.version()) {
      return;
    }
    try {
      active.set(verifyAndLoad(mv));
      LOG.info("serving {} v{} (metrics {})", mv.getModelName(), mv.getVersion(), mv.getMetrics());
    } catch (Exception e) {
      rejectedVersions.incrementAndGet();
      LOG.warn("model version {} rejected: {}", mv.getVersion(), e.getMessage());
    }
  }

  static ActiveModel verifyAndLoad(ModelVersion mv) throws Exception {
    ByteBuffer buf = mv.getModelBytes();
    String sha = Hashes.sha256Hex(buf);
    if (!sha.equals(mv.getSha256())) {
      throw new IllegalArgumentException("SHA-256 mismatch: record says " + mv.getSha256() + ", bytes hash to " + sha);
    }
    if (!Models.FORMAT.equals(mv.getFormat())) {
      throw new IllegalArgumentException("unsupported model format " + mv.getFormat());
    }
    ComputationGraph graph = Models.fromBytes(Hashes.copyOf(buf), false);
    long outputs = graph.getLayer(Models.HEAD).getParam("b").length();
    if (outputs != mv.getLabels().size()) {
      throw new IllegalArgumentException("model has " + outputs + " outputs for " + mv.getLabels().size() + " labels");
    }
    Predictor predictor = new Predictor(graph, mv.getLabels(), mv.getInput().getHeight(), mv.getInput().getWidth(),
        mv.getInput().getLayout());
    ModelVersion meta = ModelVersion.newBuilder(mv).setModelBytes(ByteBuffer.allocate(0)).build();
    return new ActiveModel(meta, predictor, Instant.now());
  }

  @Override
  public void close() {
    running = false;
    KafkaConsumer<String, byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
