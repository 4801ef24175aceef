package dev.streamfit.common.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The topic reader on a real broker: committed records to the end, open transactions, the last record, one offset. */
@ExtendWith(KafkaBrokerExtension.class)
class TopicReaderTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void readsEveryCommittedRecordAndSkipsAborted(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("reader-" + UUID.randomUUID().toString().substring(0, 8) + "-", 2, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, TIMEOUT);
    String topic = topics.index();
    try (KafkaProducer<String, byte[]> p = KafkaClients.producer(broker.bootstrapServers(),
        ClientProfile.transactional("reader-" + UUID.randomUUID()))) {
      p.initTransactions();
      p.beginTransaction();
      for (int i = 0; i < 10; i++) {
        p.send(new ProducerRecord<>(topic, "k" + i, bytes("v" + i)));
      }
      p.commitTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>(topic, "aborted", bytes("x")));
      p.abortTransaction();
    }
    for (TopicReader.End end : TopicReader.End.values()) {
      List<String> keys = new ArrayList<>();
      boolean complete = TopicReader.readAll(broker.bootstrapServers(), topic, end, TIMEOUT, r -> keys.add(r.key()));
      assertThat(complete).as(end.name()).isTrue();
      assertThat(keys).as(end.name()).containsExactlyInAnyOrder("k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9");
    }
  }

  @Test
  void anOpenTransactionStopsTheHighWatermarkReadAtItsTimeoutButNotTheStableOne(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("open-" + UUID.randomUUID().toString().substring(0, 8) + "-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, TIMEOUT);
    String topic = topics.index();
    try (KafkaProducer<String, byte[]> committed = KafkaClients.producer(broker.bootstrapServers(), ClientProfile.DURABLE);
        KafkaProducer<String, byte[]> open = KafkaClients.producer(broker.bootstrapServers(),
            ClientProfile.transactional("open-" + UUID.randomUUID()))) {
      committed.send(new ProducerRecord<>(topic, "before", bytes("1"))).get();
      open.initTransactions();
      open.beginTransaction();
      open.send(new ProducerRecord<>(topic, "pending", bytes("2"))).get();
      committed.send(new ProducerRecord<>(topic, "after", bytes("3"))).get();

      List<String> stable = new ArrayList<>();
      assertThat(TopicReader.readAll(broker.bootstrapServers(), topic, TopicReader.End.LAST_STABLE, TIMEOUT,
          r -> stable.add(r.key()))).isTrue();
      assertThat(stable).containsExactly("before");

      List<String> high = new ArrayList<>();
      assertThat(TopicReader.readAll(broker.bootstrapServers(), topic, TopicReader.End.HIGH_WATERMARK,
          Duration.ofSeconds(2), r -> high.add(r.key()))).as("blocked by the open transaction").isFalse();
      assertThat(high).containsExactly("before");

      open.commitTransaction();
      List<String> after = new ArrayList<>();
      assertThat(TopicReader.readAll(broker.bootstrapServers(), topic, TopicReader.End.HIGH_WATERMARK, TIMEOUT,
          r -> after.add(r.key()))).isTrue();
      assertThat(after).containsExactly("before", "pending", "after");
    }
  }

  @Test
  void lastAndAtFindOneRecord(KafkaBroker broker) throws Exception {
    Topics topics = new Topics("last-" + UUID.randomUUID().toString().substring(0, 8) + "-", 1, (short) 1);
    TopicsAdmin.ensure(broker.bootstrapServers(), topics, TIMEOUT);
    TopicPartition tp = new TopicPartition(topics.models(), 0);
    assertThat(TopicReader.last(broker.bootstrapServers(), tp, TIMEOUT)).isEmpty();
    try (KafkaProducer<String, byte[]> p = KafkaClients.producer(broker.bootstrapServers(), ClientProfile.DURABLE,
        ClientProfile.writing(topics.spec(topics.models())))) {
      for (int i = 0; i < 5; i++) {
        p.send(new ProducerRecord<>(tp.topic(), "m@" + i, bytes("w" + i))).get();
      }
    }
    assertThat(TopicReader.last(broker.bootstrapServers(), tp, TIMEOUT).orElseThrow().key()).isEqualTo("m@4");
    var third = TopicReader.at(broker.bootstrapServers(), tp, 2, TIMEOUT, () -> true).orElseThrow();
    assertThat(new String(third.value(), StandardCharsets.UTF_8)).isEqualTo("w2");
    assertThat(TopicReader.at(broker.bootstrapServers(), tp, 99, Duration.ofSeconds(1), () -> true)).isEmpty();
  }

  @Test
  void anUnknownTopicIsAClearError(KafkaBroker broker) {
    assertThatThrownBy(() -> TopicReader.readAll(broker.bootstrapServers(), "no-such-topic-" + UUID.randomUUID(),
        TopicReader.End.LAST_STABLE, Duration.ofSeconds(2), r -> { }))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot read no-such-topic-")
        .hasMessageContaining("--bootstrap-servers");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
