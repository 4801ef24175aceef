package dev.streamfit.common.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.Promtool;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A registry with a running Kafka Streams app's and a producer's client metrics bound passes promtool. Real broker. */
@ExtendWith(KafkaBrokerExtension.class)
class PrometheusRegistryTest {
  @TempDir
  Path state;

  @Test
  void kafkaClientAndStreamsMetricsPassPromtool(KafkaBroker broker) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic("lint-in", 1, (short) 1), new NewTopic("lint-out", 1, (short) 1))).all().get();
    }
    PrometheusMeterRegistry registry = PrometheusRegistry.create();
    StreamsBuilder b = new StreamsBuilder();
    b.stream("lint-in").to("lint-out");
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "lint-app");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        broker.bootstrapServers()), new StringSerializer(), new ByteArraySerializer());
        KafkaStreams streams = new KafkaStreams(b.build(), p);
        KafkaStreamsMetrics sm = new KafkaStreamsMetrics(streams);
        KafkaClientMetrics pm = new KafkaClientMetrics(producer)) {
      sm.bindTo(registry);
      pm.bindTo(registry);
      streams.start();
      for (int i = 0; i < 20; i++) {
        producer.send(new ProducerRecord<>("lint-in", "k" + i, new byte[] {1})).get();
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(streams.state()).isEqualTo(KafkaStreams.State.RUNNING);
      Thread.sleep(2000);
      String scrape = registry.scrape();
      assertThat(scrape).contains("kafka_");
      assertThat(Promtool.check(scrape)).as("promtool check metrics").isEmpty();
    }
  }
}
