package dev.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.avro.SchemaNormalization;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
  private final AvroSerde<RawImage> serde = AvroSerde.of(RawImage.class);

  static RawImage raw() {
    byte[] content = {1, 2, 3, 4};
    return RawImage.newBuilder().setId("id-" + content.length + "-" + java.util.Arrays.hashCode(content)).setContent(ByteBuffer.wrap(content))
        .setMediaType("image/jpeg").setLabel("hat").setSplit(Split.TRAIN).setSource("train/hat/x.jpg")
        .setIngestedAt(Instant.ofEpochMilli(1_700_000_000_000L)).build();
  }

  @Test
  void roundTripsARecord() {
    RawImage r = raw();
    assertThat(serde.deserialize("t", serde.serialize("t", r))).isEqualTo(r);
  }

  @Test
  void writesSingleObjectEncodingWithSchemaFingerprint() {
    byte[] b = serde.encode(raw());
    assertThat(b[0]).isEqualTo((byte) 0xC3);
    assertThat(b[1]).isEqualTo((byte) 0x01);
    long fp = SchemaNormalization.parsingFingerprint64(RawImage.getClassSchema());
    long written = ByteBuffer.wrap(b, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    assertThat(written).isEqualTo(fp);
  }

  @Test
  void nullIsATombstoneBothWays() {
    assertThat(serde.serialize("t", null)).isNull();
    assertThat(serde.deserialize("t", null)).isNull();
  }

  @Test
  void garbageAndForeignRecordsFailWithSerializationException() {
    assertThatThrownBy(() -> serde.decode(new byte[] {1, 2, 3})).isInstanceOf(SerializationException.class)
        .hasMessageContaining("not a RawImage");
    byte[] rejection = AvroSerde.of(Rejection.class).encode(Rejection.newBuilder().setStage("augment")
        .setReason("corrupt_image").setMessage("m").setRejectedAt(Instant.now()).build());
    assertThatThrownBy(() -> serde.decode(rejection)).isInstanceOf(SerializationException.class);
  }

  @Test
  void topicsAreDefinedInOnePlaceWithPrefixAndConfigs() {
    Topics t = new Topics("it-", 3, (short) 1);
    assertThat(t.raw()).isEqualTo("it-images.raw");
    assertThat(t.specs()).extracting(TopicSpec::name).containsExactly("it-images.raw", "it-images.index", "it-images.augmented", "it-images.features",
        "it-images.rejected", "it-models", "it-training.metrics", "it-inference.requests", "it-inference.results",
        "it-feedback", "it-model.events");
    assertThat(t.spec(t.models()).partitions()).isEqualTo(1);
    assertThat(t.spec(t.models()).configs()).containsEntry("cleanup.policy", "compact");
    assertThat(t.spec(t.models()).maxMessageBytes()).isEqualTo(Topics.MODEL_MAX_BYTES);
    assertThat(t.spec(t.raw()).partitions()).isEqualTo(3);
    assertThatThrownBy(() -> new Topics("", 0, (short) 1)).hasMessageContaining("topics.partitions must be > 0, was 0");
  }
}
