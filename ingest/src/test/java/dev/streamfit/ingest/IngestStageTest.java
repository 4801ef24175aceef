package dev.streamfit.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.schemas.Hashes;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaBrokerExtension.class)
class IngestStageTest {
  @TempDir
  Path data;

  @Test
  void publishesEveryFileKeyedByContentHashWithSplitAndLabel(KafkaBroker broker) throws Exception {
    Files.createDirectories(data.resolve("train/hat"));
    Files.createDirectories(data.resolve("validation/shoes"));
    Files.write(data.resolve("train/hat/a.jpg"), new byte[] {1, 2, 3});
    Files.write(data.resolve("validation/shoes/b.jpg"), new byte[] {4, 5});
    Files.write(data.resolve("train/hat/big.jpg"), new byte[2000]);
    Topics topics = new Topics("ingest-test-", 2, (short) 1);
    IngestSummary s = new IngestStage(new IngestConfig(broker.bootstrapServers(), topics, data, 1000)).run(null);
    assertThat(s.published()).isEqualTo(2);
    assertThat(s.rejected()).isEqualTo(1);
    assertThat(s.perSplit()).containsEntry("train", 1L).containsEntry("validation", 1L);

    List<RawImage> raws = new ArrayList<>();
    for (byte[] v : readAll(broker, topics.raw())) {
      raws.add(AvroSerde.of(RawImage.class).decode(v));
    }
    assertThat(raws).extracting(RawImage::getId)
        .containsExactlyInAnyOrder(Hashes.sha256Hex(new byte[] {1, 2, 3}), Hashes.sha256Hex(new byte[] {4, 5}));
    RawImage hat = raws.stream().filter(r -> r.getSplit() == Split.TRAIN).findFirst().orElseThrow();
    assertThat(hat.getLabel()).isEqualTo("hat");
    assertThat(hat.getSource()).isEqualTo("train/hat/a.jpg");
    List<byte[]> rej = readAll(broker, topics.rejected());
    assertThat(rej).hasSize(1);
    Rejection r = AvroSerde.of(Rejection.class).decode(rej.get(0));
    assertThat(r.getReason()).isEqualTo("too_large");
    assertThat(r.getStage()).isEqualTo("ingest");
  }

  @Test
  void configNamesTheKeyWhenTheFolderIsMissing() {
    assertThatThrownBy(() -> IngestConfig.of("x:1", Topics.defaults(), data.resolve("nope")))
        .hasMessageContaining("ingest.data must be a directory").hasMessageContaining("(set --data)");
  }

  static List<byte[]> readAll(KafkaBroker broker, String topic) {
    List<byte[]> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()), new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 20_000;
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }
}
