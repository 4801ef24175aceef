package dev.streamfit.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.common.Rejections;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Topics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** Profiles merge in order, sizes come from the topic catalogue, and the Streams settings carry both. */
class ClientProfileTest {
  private final Topics topics = Topics.defaults();

  @Test
  void laterProfilesWinAndSizesFollowTheTopicCatalogue() {
    Map<String, Object> c = KafkaClients.configs("b:9092", ClientProfile.READ_COMMITTED,
        ClientProfile.reading(topics.spec(topics.augmented()), topics.spec(topics.features())),
        ClientProfile.maxPollRecords(7), ClientProfile.maxPollRecords(9));
    assertThat(c).containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "b:9092")
        .containsEntry(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")
        .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
        .containsEntry(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.FEATURES_MAX_BYTES)
        .containsEntry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 9);
    Map<String, Object> models = KafkaClients.configs("b", ClientProfile.writing(topics.spec(topics.models())));
    assertThat(models).containsEntry(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MODEL_MAX_BYTES)
        .containsEntry(ProducerConfig.BUFFER_MEMORY_CONFIG, 2L * Topics.MODEL_MAX_BYTES);
    assertThat(KafkaClients.configs("b", ClientProfile.transactional("t-1")))
        .containsEntry(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "t-1")
        .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
        .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
        .containsEntry(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    assertThatThrownBy(ClientProfile::reading).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void streamsSettingsAreExactlyOnceWithTheStagesProfiles() {
    Properties p = StreamsSettings.exactlyOnce("app-1", "b:9092", 3, (short) 1, Path.of("/tmp/s"), "inst-2",
        List.of(ClientProfile.reading(topics.spec(topics.raw())), ClientProfile.maxPollRecords(50)),
        List.of(ClientProfile.writing(topics.spec(topics.augmented()))));
    assertThat(p).containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2)
        .containsEntry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 3)
        .containsEntry(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), "inst-2")
        .containsEntry(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 50)
        .containsEntry(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.RAW_MAX_BYTES)
        .containsEntry(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.AUGMENTED_MAX_BYTES)
        .containsEntry(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), 1);
    Properties anonymous = StreamsSettings.exactlyOnce("a", "b", 1, (short) 1, Path.of("/tmp/s"), "", List.of(), List.of());
    assertThat(anonymous).doesNotContainKey(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
  }

  @Test
  void rejectionsNameStageReasonAndWhereTheRecordWas() {
    Rejection r = Rejections.of(Rejections.Stage.FEATURES, "k", RejectReason.BAD_SHAPE, null, "images.augmented", 1, 42,
        null);
    assertThat(r.getStage()).isEqualTo("features");
    assertThat(r.getReason()).isEqualTo("bad_shape");
    assertThat(r.getMessage()).isEqualTo("bad_shape");
    assertThat(r.getSourcePartition()).isEqualTo(1);
    assertThat(r.getSourceOffset()).isEqualTo(42L);
    Rejection edge = Rejections.of(Rejections.Stage.INGEST, "id", RejectReason.CORRUPT_IMAGE, "truncated", "a.jpg");
    assertThat(edge.getSourceTopic()).isNull();
    assertThat(edge.getSourcePartition()).isNull();
    assertThat(edge.getSourceOffset()).isNull();
    assertThat(edge.getSource()).isEqualTo("a.jpg");
  }
}
