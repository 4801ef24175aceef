package dev.streamfit.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Evolution rules: every current schema must read data written with every released schema (backward)
 * and released readers must read current data (forward). Released schemas are frozen copies under
 * src/test/resources/released/vN; add a new vN directory on each release.
 */
class SchemaEvolutionTest {
  private static final List<String> SUPPORT = List.of("Split", "OffsetRange");

  static Schema released(String version, String name) throws IOException {
    Schema.Parser parser = new Schema.Parser();
    for (String s : SUPPORT) {
      if (!s.equals(name)) {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/released/" + version + "/" + s + ".avsc")) {
          parser.parse(in);
        }
      }
    }
    try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/released/" + version + "/" + name + ".avsc")) {
      return parser.parse(in);
    }
  }

  static Schema current(String name) throws Exception {
    return (Schema) Class.forName("dev.streamfit.schemas." + name).getMethod("getClassSchema").invoke(null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"RawImage", "AugmentedSample", "ModelVersion", "PredictionRequest", "PredictionResult", "Rejection"})
  void currentSchemasAreFullyCompatibleWithReleasedV1(String name) throws Exception {
    Schema old = released("v1", name);
    Schema now = current(name);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(now, old).getType())
        .as("current %s reads v1 data", name).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(old, now).getType())
        .as("v1 readers read current %s data", name).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }

  @Test
  void aFieldAddedWithoutDefaultBreaksBackwardCompatibility() throws Exception {
    Schema old = released("v1", "Rejection");
    Schema broken = new Schema.Parser().parse(old.toString().replace("\"fields\":[",
        "\"fields\":[{\"name\":\"severity\",\"type\":\"int\"},"));
    assertThat(SchemaCompatibility.checkReaderWriterCompatibility(broken, old).getType())
        .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
  }

  @Test
  void serdeDecodesRecordsWrittenWithAnOlderSchemaOnceRegistered() throws Exception {
    // An "older" Rejection without the optional 'source' field, written by an older producer.
    List<Schema.Field> fields = Rejection.getClassSchema().getFields().stream()
        .filter(f -> !f.name().equals("source")).map(f -> new Schema.Field(f, f.schema())).toList();
    Schema older = Schema.createRecord("Rejection", null, "dev.streamfit.schemas", false, fields);
    assertThat(older.getField("source")).isNull();
    GenericRecord r = new GenericData.Record(older);
    r.put("originalKey", "k");
    r.put("stage", "augment");
    r.put("reason", "corrupt_image");
    r.put("message", "truncated");
    r.put("rejectedAt", Instant.ofEpochMilli(5).toEpochMilli());
    ByteBuffer bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), older).encode(r);
    byte[] b = new byte[bytes.remaining()];
    bytes.get(b);

    AvroSerde<Rejection> serde = AvroSerde.of(Rejection.class).withWriterSchema(older);
    Rejection decoded = serde.decode(b);
    assertThat(decoded.getReason()).isEqualTo("corrupt_image");
    assertThat(decoded.getSource()).isNull();
  }
}
