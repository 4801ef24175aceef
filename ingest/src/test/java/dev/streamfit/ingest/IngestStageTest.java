package dev.streamfit.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.imaging.DecodeLimits;
import dev.streamfit.schemas.AvroSerde;
import dev.streamfit.common.Hashes;
import dev.streamfit.schemas.RawImage;
import dev.streamfit.schemas.Rejection;
import dev.streamfit.schemas.Split;
import dev.streamfit.schemas.Topics;
import dev.streamfit.testkit.KafkaBroker;
import dev.streamfit.testkit.KafkaBrokerExtension;
import dev.streamfit.testkit.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
    byte[] hat = TestImages.sampleJpeg("train", "hat");
    byte[] shoes = TestImages.sampleJpeg("validation", "shoes");
    write("train/hat/a.jpg", hat);
    write("validation/shoes/b.jpg", shoes);
    byte[] big = TestImages.unusual().get("large"); // a valid 4000x5000 JPEG, over the cap below
    write("train/hat/big.jpg", big);
    write("train/hat/truncated.jpg", Arrays.copyOf(hat, hat.length / 2));
    write("train/hat/not-an-image.jpg", "hello".getBytes());
    write("train/hat/copy-of-a.jpg", hat);
    Topics topics = new Topics("ingest-test-", 2, (short) 1);
    IngestConfig config = new IngestConfig(broker.bootstrapServers(), topics, data, Math.max(hat.length, shoes.length),
        List.of(), false, DecodeLimits.defaults(), 0, IngestConfig.DEFAULT_COMMIT_INTERVAL,
        dev.streamfit.http.HttpLimits.defaults());
    assertThat(big.length).isGreaterThan(config.maxImageBytes());
    IngestSummary s = new IngestStage(config).run(null);
    assertThat(s.published()).isEqualTo(2);
    assertThat(s.duplicates()).isEqualTo(1);
    assertThat(s.rejectedByReason()).containsOnly(Map.entry("too_large", 1L), Map.entry("corrupt_image", 1L),
        Map.entry("unsupported_format", 1L));
    assertThat(s.perSplit()).containsEntry("train", 1L).containsEntry("validation", 1L);

    List<RawImage> raws = new ArrayList<>();
    for (byte[] v : readAll(broker, topics.raw())) {
      raws.add(AvroSerde.of(RawImage.class).decode(v));
    }
    assertThat(raws).extracting(RawImage::getId).containsExactlyInAnyOrder(Hashes.sha256Hex(hat), Hashes.sha256Hex(shoes));
    RawImage r0 = raws.stream().filter(r -> r.getSplit() == Split.TRAIN).findFirst().orElseThrow();
    assertThat(r0.getLabel()).isEqualTo("hat");
    assertThat(r0.getSource()).isIn("train/hat/a.jpg", "train/hat/copy-of-a.jpg");
    List<Rejection> rej = readAll(broker, topics.rejected()).stream().map(AvroSerde.of(Rejection.class)::decode).toList();
    assertThat(rej).extracting(Rejection::getStage).containsOnly("ingest");
    assertThat(rej).extracting(r -> r.getReason().toString())
        .containsExactlyInAnyOrder("too_large", "corrupt_image", "unsupported_format");
    assertThat(readAll(broker, topics.index())).hasSize(5); // 2 published + 3 refused for their content

    // Re-ingesting the same folder publishes nothing; what was refused is refused again, for the same reasons.
    IngestSummary again = new IngestStage(config).run(null);
    assertThat(again.published()).isZero();
    assertThat(again.rejectedByReason()).isEqualTo(s.rejectedByReason());
    assertThat(again.duplicates()).isEqualTo(3);
    assertThat(readAll(broker, topics.raw())).hasSize(2);
    assertThat(readAll(broker, topics.rejected())).hasSize(6);
    assertThat(readAll(broker, topics.index())).hasSize(5);

    // A new file is picked up on the next run.
    write("test/shoes/c.jpg", TestImages.sampleJpeg("test", "shoes"));
    IngestSummary third = new IngestStage(config).run(null);
    assertThat(third.published()).isEqualTo(1);
    assertThat(third.duplicates()).isEqualTo(3);
  }

  @Test
  void unknownLabelsAreRefusedWithAReasonOrPublishedUnlabeled(KafkaBroker broker) throws Exception {
    write("train/hat/a.jpg", TestImages.sampleJpeg("train", "hat"));
    write("train/sombrero/b.jpg", TestImages.sampleJpeg("test", "hat"));
    Topics topics = new Topics("ingest-labels-", 1, (short) 1);
    IngestConfig strict = IngestConfig.of(broker.bootstrapServers(), topics, data).withLabels(List.of("hat", "shoes"), false);
    IngestSummary s = new IngestStage(strict).run(null);
    assertThat(s.published()).isEqualTo(1);
    assertThat(s.rejectedByReason()).containsOnly(Map.entry("unknown_label", 1L));
    Rejection r = AvroSerde.of(Rejection.class).decode(readAll(broker, topics.rejected()).get(0));
    assertThat(r.getMessage().toString()).contains("'sombrero'").contains("[hat, shoes]").contains("--labels");

    // Not indexed when refused for its label: with the flag, the same file is published unlabeled.
    IngestSummary routed = new IngestStage(strict.withLabels(List.of("hat", "shoes"), true)).run(null);
    assertThat(routed.published()).isEqualTo(1);
    assertThat(routed.perSplit()).containsOnly(Map.entry("unlabeled", 1L));
    RawImage unlabeled = readAll(broker, topics.raw()).stream().map(AvroSerde.of(RawImage.class)::decode)
        .filter(x -> x.getSplit() == Split.UNLABELED).findFirst().orElseThrow();
    assertThat(unlabeled.getLabel()).isNull();
  }

  private void write(String rel, byte[] bytes) throws Exception {
    Path p = data.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.write(p, bytes);
  }

  @Test
  void configNamesTheKeyWhenTheFolderIsMissing() {
    assertThatThrownBy(() -> IngestConfig.of("x:1", Topics.defaults(), data.resolve("nope")))
        .hasMessageContaining("ingest.data must be a directory").hasMessageContaining("(set --data)");
    IngestConfig ok = IngestConfig.of("x:1", Topics.defaults(), data);
    assertThatThrownBy(() -> ok.withCommitInterval(java.time.Duration.ofSeconds(31)))
        .hasMessageContaining("ingest.commit-interval-ms must be in [1, 30000], was 31000")
        .hasMessageContaining("(set --commit-interval-ms)");
    assertThatThrownBy(() -> ok.withCommitInterval(java.time.Duration.ZERO)).hasMessageContaining("was 0");
  }

  static List<byte[]> readAll(KafkaBroker broker, String topic) {
    List<byte[]> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end; // the high watermark: the last transaction's markers may still be on their way
      try (KafkaConsumer<String, byte[]> u = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
          broker.bootstrapServers()), new StringDeserializer(), new ByteArrayDeserializer())) {
        end = u.endOffsets(parts);
      }
      long deadline = System.currentTimeMillis() + 20_000;
      while (parts.stream().anyMatch(p -> c.position(p) < end.get(p)) && System.currentTimeMillis() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
      }
    }
    return out;
  }
}
