package dev.streamfit.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The shared broker is a real Kafka: topics, transactions and read_committed isolation work. */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaBrokerExtensionTest {
  @Test
  void transactionsCommitAndAbortAsKafkaDoes(KafkaBroker broker) throws Exception {
    assertThat(broker.kind()).isIn("embedded", "testcontainers");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("tx-check", 2, (short) 1))).all().get();
    }
    try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-check-producer"), new StringSerializer(), new StringSerializer())) {
      p.initTransactions();
      p.beginTransaction();
      p.send(new ProducerRecord<>("tx-check", "k", "aborted"));
      p.abortTransaction();
      p.beginTransaction();
      p.send(new ProducerRecord<>("tx-check", "k", "committed"));
      p.commitTransaction();
    }
    List<String> seen = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "tx-check",
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new StringDeserializer())) {
      c.subscribe(List.of("tx-check"));
      long deadline = System.currentTimeMillis() + 30_000;
      while (seen.isEmpty() && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
          seen.add(r.value());
        }
      }
    }
    assertThat(seen).containsExactly("committed");
  }

  @Test
  void modeIsValidated() {
    String before = System.getProperty("kafka.test.broker");
    try {
      System.setProperty("kafka.test.broker", "bogus");
      org.assertj.core.api.Assertions.assertThatThrownBy(KafkaBrokerExtension::mode)
          .hasMessageContaining("kafka.test.broker must be embedded, testcontainers or auto, was 'bogus'");
      System.setProperty("kafka.test.broker", "embedded");
      assertThat(KafkaBrokerExtension.mode()).isEqualTo("embedded");
    } finally {
      if (before == null) {
        System.clearProperty("kafka.test.broker");
      } else {
        System.setProperty("kafka.test.broker", before);
      }
    }
  }
}
