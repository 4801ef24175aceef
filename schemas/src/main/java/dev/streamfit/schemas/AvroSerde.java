package dev.streamfit.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for a generated Avro record using Avro single-object encoding: every value starts with
 * the marker {@code C3 01} and the 8-byte CRC-64-AVRO fingerprint of its writer schema, so no schema
 * registry is needed. Older writer schemas can be registered with {@link #withWriterSchema(Schema)} and
 * are resolved against the current reader schema (Avro schema-resolution rules).
 *
 * <p>Thread-safe: Avro's message encoder/decoder are safe for concurrent use. {@code null} maps to
 * {@code null} (a Kafka tombstone) in both directions.
 *
 * @param <T> generated record type
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {
  /** Largest per-thread encode buffer kept between calls, bytes (a larger one is dropped after use). */
  private static final int MAX_RETAINED = 4 * 1024 * 1024;

  /** A reusable output buffer. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer() {
      super(64 * 1024);
    }

    int capacity() {
      return buf.length;
    }
  }

  private final ThreadLocal<Buffer> buffer = ThreadLocal.withInitial(Buffer::new);
  private final Class<T> type;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type) {
    this.type = type;
    Schema schema = SpecificData.get().getSchema(type);
    SpecificData model = SpecificData.getForClass(type);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
  }

  /** A serde for {@code type}, which must be an Avro-generated class. */
  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
    return new AvroSerde<>(Objects.requireNonNull(type, "type"));
  }

  /** Also accept values written with an older (or newer) compatible writer schema. Returns this. */
  public AvroSerde<T> withWriterSchema(Schema writerSchema) {
    decoder.addSchema(writerSchema);
    return this;
  }

  /** Encodes {@code value}; never returns null for a non-null value. */
  public byte[] encode(T value) {
    if (value == null) {
      return null;
    }
    try {
      // Into a per-thread buffer, then one exact copy (Avro's encode(value) would copy twice more).
      Buffer buf = buffer.get();
      buf.reset();
      encoder.encode(value, buf);
      byte[] out = buf.toByteArray();
      if (buf.capacity() > MAX_RETAINED) {
        buffer.remove();
      }
      return out;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Decodes single-object-encoded bytes.
   *
   * @throws SerializationException if the bytes are not a single-object encoding of a known schema
   */
  public T decode(byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return decoder.decode(data);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("not a " + type.getSimpleName() + " record (" + data.length
          + " bytes): " + e.getMessage(), e);
    }
  }

  @Override
  public byte[] serialize(String topic, T data) {
    return encode(data);
  }

  @Override
  public T deserialize(String topic, byte[] data) {
    return decode(data);
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    // nothing to configure: the schema comes from the generated class
  }

  @Override
  public void close() {
    // stateless
  }
}
