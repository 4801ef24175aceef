package dev.streamfit.trainer.internal;

import dev.streamfit.common.Buffers;
import dev.streamfit.common.kafka.ClientProfile;
import dev.streamfit.common.kafka.ConsumerLoop;
import dev.streamfit.common.kafka.KafkaClients;
import dev.streamfit.common.kafka.TopicReader;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.ModelEventKind;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Topics;
import dev.streamfit.trainer.TrainerConfig;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@code model.events} (from its start, no group) for serving's rollbacks of this trainer's model and
 * fetches each restored version's weights from {@code models}; the evaluator takes them ({@link #drainInto}) before
 * its next judgement, so a version serving rolled back is not the champion candidates must beat any more.
 * Thread-safe; {@link #start} starts its thread, {@link #close} stops it.
 */
public final class RollbackFollower extends ConsumerLoop {
  private static final Logger LOG = LoggerFactory.getLogger("dev.streamfit.trainer.TrainerStage");
  private static final AvroSerde<ModelEvent> EVENTS = AvroSerde.of(ModelEvent.class);
  private static final AvroSerde<ModelVersion> VERSIONS = AvroSerde.of(ModelVersion.class);

  /** Serving rolled {@code rolledBack} back to {@code restored}, whose weights are {@code model}. */
  public record Rollback(long rolledBack, long restored, byte[] model, String reason) {}

  private final TrainerConfig config;
  private final Queue<Rollback> pending = new ConcurrentLinkedQueue<>();

  public RollbackFollower(TrainerConfig config) {
    super("streamfit-trainer-rollbacks");
    this.config = config;
  }

  /** Hands every rollback read so far to {@code judge}. Called on the evaluator thread. */
  public void drainInto(Judge judge) {
    for (Rollback r; (r = pending.poll()) != null; ) {
      judge.rolledBack(r);
    }
  }

  @Override
  protected void run() {
    Topics t = config.topics();
    try (KafkaConsumer<String, byte[]> c = KafkaClients.consumer(config.bootstrapServers(), ClientProfile.READ_COMMITTED,
        ClientProfile.clientId(t.prefix() + "streamfit-trainer-rollbacks"), ClientProfile.maxPollRecords(16))) {
      own(c);
      TopicReader.assignFromBeginning(c, t.modelEvents(), Duration.ofSeconds(30));
      while (running()) {
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
    Topics t = config.topics();
    TopicPartition tp = new TopicPartition(t.models(), partition);
    var record = TopicReader.at(config.bootstrapServers(), tp, offset, Duration.ofSeconds(30), this::running,
        ClientProfile.reading(t.spec(t.models())));
    if (record.isPresent() && record.get().value() != null) {
      return Buffers.copyOf(VERSIONS.decode(record.get().value()).getModelBytes());
    }
    LOG.warn("the restored version's record {}@{} could not be read; the champion stays", tp, offset);
    return null;
  }
}
