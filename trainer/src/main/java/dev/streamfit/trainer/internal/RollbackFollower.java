package dev.streamfit.trainer.internal;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.ModelEventKind;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.TrainerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code model.events} (from its start, no group) for serving's rollbacks of this trainer's model and
 * fetches each restored version's weights from {@code models}; the evaluator takes them ({@link #drainInto}) before
 * its next judgement, so a version serving rolled back is not the champion candidates must beat any more.
 * Thread-safe; {@link #close} stops its thread.
 */
public final class RollbackFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger("dev.streamfit.trainer.TrainerStage");
  private static final AvroSerde<ModelEvent> EVENTS = AvroSerde.of(ModelEvent.class);
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);

  /** Serving rolled {@code rolledBack} back to {@code restored}, whose weights are {@code model}. */
  public record Rollback(long rolledBack, long restored, byte[] model, String reason) {}

  private final TrainerConfig config;
  private final Queue<Rollback> pending = new ConcurrentLinkedQueue<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile KafkaConsumer<String, byte[]> consumer;

  public RollbackFollower(TrainerConfig config) {
    this.config = config;
    this.thread = new Thread(this::run, "streamfit-trainer-rollbacks");
    this.thread.setDaemon(true);
  }

  public RollbackFollower start() {
    thread.start();
    return this;
  }

  /** Hands every rollback read so far to {@code judge}. Called on the evaluator thread. */
  public void drainInto(Judge judge) {
    for (Rollback r; (r = pending.poll()) != null; ) {
      judge.rolledBack(r);
    }
  }

  private void run() {
    Topics t = config.topics();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
        ConsumerConfig.CLIENT_ID_CONFIG, t.prefix() + "streamfit-trainer-rollbacks",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_BYTES,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_BYTES,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 16), new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer = c;
      if (!running) {
        return;
      }
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(t.modelEvents(), Duration.ofSeconds(30))
          .forEach(p -> parts.add(new TopicPartition(t.modelEvents(), p.partition())));
      c.assign(parts);
      c.seekToBeginning(parts);
      while (running) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(500))) {
          ModelEvent e;
          try {
            e = EVENTS.decode(r.value());
          } catch (RuntimeException x) {
            LOG.warn("{} record at offset {} is not a ModelEvent: {}", r.topic(), r.offset(), x.getMessage());
            continue;
          }
          if (e.getKind() == ModelEventKind.ROLLED_BACK && config.modelName().equals(e.getModelName().toString())
              && e.getReplacementPartition() != null && e.getReplacementOffset() != null) {
            byte[] model = fetch(e.getReplacementPartition(), e.getReplacementOffset());
            if (model != null) {
              pending.add(new Rollback(e.getVersion(), e.getReplacementVersion(), model, e.getReason().toString()));
            }
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      LOG.warn("following {} stopped: {}", t.modelEvents(), e.toString());
    }
  }

  /** The weights of the {@code models} record at {@code partition}/{@code offset}, or null if it is gone. */
  private byte[] fetch(int partition, long offset) {
    Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MODEL_MAX_BYTES,
        ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Topics.MODEL_MAX_BYTES, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
    TopicPartition tp = new TopicPartition(config.topics().models(), partition);
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      c.assign(List.of(tp));
      c.seek(tp, offset);
      long deadline = System.currentTimeMillis() + 30_000;
      while (running && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.offset() >= offset) {
            if (r.offset() > offset || r.value() == null) {
              break;
            }
            ModelVersion mv = VERSIONS.decode(r.value());
            return dev.streamfit.schemas.Hashes.copyOf(mv.getModelBytes());
          }
        }
      }
    }
    LOG.warn("the restored version's record {}@{} could not be read; the champion stays", tp, offset);
    return null;
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
