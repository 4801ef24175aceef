package dev.streamfit.trainer.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.engine.BaseModel;
import dev.streamfit.engine.HeadSpec;
import dev.streamfit.engine.InputContract;
import dev.streamfit.engine.Models;
import dev.streamfit.engine.TrainingSpec;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.ModelEvent;
import dev.streamfit.schemas.ModelEventKind;
import dev.streamfit.schemas.ModelVersion;
import dev.streamfit.schemas.Provenance;
import dev.streamfit.schemas.Topics;
import dev.streamfit.common.kafka.TopicsAdmin;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.trainer.TrainerConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Serving rolls the trainer's champion back: the trainer reads the event from {@code model.events}, fetches the
 * restored version from {@code models}, and that version is the champion from the next judgement on; an event
 * about a version that is not the champion changes nothing.
 */
@ExtendWith(KafkaBrokerExtension.class)
class RollbackFollowerTest {
  @TempDir
  Path dir;

  @Test
  void rolledBackChampionIsReplacedByTheRestoredVersion(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("rollback-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, Duration.ofSeconds(30));
    List<String> labels = List.of("red", "green");
    TrainerConfig config = new TrainerConfig(broker.bootstrapServers(), topics, "g", dir, "synthetic", labels,
        BaseModel.SCRATCH_CNN, 32, TrainingSpec.adam(HeadSpec.SOFTMAX, 1e-3), dev.streamfit.trainer.LrSchedule.CONSTANT,
        8, 1L, 32, dev.streamfit.trainer.TrainerPolicy.DEFAULTS, false, TrainerConfig.Rehearsal.OFF,
        dev.streamfit.engine.ScratchShape.DEFAULT, TrainerConfig.Windows.DEFAULT, TrainerConfig.Input.PIXELS);
    ComputationGraph g = Models.newClassifier(BaseModel.SCRATCH_CNN, TrainingSpec.adam(HeadSpec.SOFTMAX, 1e-3), labels, 1, 32);
    byte[] v1 = Models.toBytes(g, false);
    g.getLayer(Models.HEAD).getParam("b").assign(0.5);
    byte[] v2 = Models.toBytes(g, false);

    TrainerState.Judgement champion2 = new TrainerState.Judgement(2, 2, 100, 0.9, 0, false, Map.of("red", 0.9), null,
        List.of());
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers(), ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_BYTES),
        new StringSerializer(), new ByteArraySerializer());
        Judge judge = new Judge(config, champion2, v2, System.nanoTime());
        RollbackFollower follower = new RollbackFollower(config)) {
      follower.start();
      RecordMetadata at = p.send(new ProducerRecord<>(topics.models(), "synthetic@1",
          AvroSerde.of(ModelVersion.class).encode(version(1, v1)))).get();
      // an event about another model, then about a version that is not the champion: both ignored
      p.send(event(topics, "other", 2, 1, at)).get();
      p.send(event(topics, "synthetic", 1, 0, at)).get();
      p.send(event(topics, "synthetic", 2, 1, at)).get();
      long deadline = System.currentTimeMillis() + 30_000;
      while (!java.util.Arrays.equals(judge.championBytes(), v1) && System.currentTimeMillis() < deadline) {
        follower.drainInto(judge);
        Thread.sleep(100);
      }
      assertThat(judge.championBytes()).isEqualTo(v1);
      assertThat(judge.judgement().version()).as("versions keep counting").isEqualTo(2);
      assertThat(judge.judgement().championPerClass()).as("no drift reference until re-scored").isEmpty();
    }
  }

  static ProducerRecord<String, byte[]> event(Topics topics, String model, long version, long replacement,
      RecordMetadata at) {
    return new ProducerRecord<>(topics.modelEvents(), model, AvroSerde.of(ModelEvent.class).encode(ModelEvent.newBuilder()
        .setModelName(model).setVersion(version).setKind(ModelEventKind.ROLLED_BACK).setReplacementVersion(replacement)
        .setReplacementPartition(at.partition()).setReplacementOffset(at.offset()).setReason("live accuracy 0.0")
        .setMetrics(Map.of()).setAt(Instant.now()).build()));
  }

  static ModelVersion version(long v, byte[] bytes) {
    return ModelVersion.newBuilder().setModelName("synthetic").setVersion(v).setCreatedAt(Instant.now())
        .setFormat(Models.FORMAT).setModelBytes(ByteBuffer.wrap(bytes)).setSha256(Hashes.sha256Hex(bytes))
        .setLabels(List.of("red", "green")).setInput(InputContract.square(32).toSpec()).setMetrics(Map.of())
        .setProvenance(Provenance.newBuilder().setBaseModel("scratch-cnn").setRunSeed(1).setConfig(Map.of())
            .setOffsets(List.of()).setSteps(v).setSamplesTrained(v).setParentVersion(null).build())
        .build();
  }
}
