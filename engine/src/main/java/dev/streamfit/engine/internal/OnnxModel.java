package dev.streamfit.engine.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Builds an ONNX model ({@code onnx.ModelProto}, IR version 8, the default operator set at {@link #OPSET}) and writes
 * it as protobuf bytes, with no library: the subset of messages an inference graph needs — graph inputs and outputs
 * (float tensors; a dimension of -1 is the symbolic {@code N}), initializers (float, stored as little-endian
 * {@code raw_data}), nodes with int, ints, float and string attributes, and string metadata. Field numbers are those
 * of {@code onnx/onnx.proto}. Not thread-safe; build, then call {@link #toBytes()}.
 */
public final class OnnxModel {
  /** The default-domain operator set the graphs are written for. */
  public static final int OPSET = 17;
  /** {@code TensorProto.DataType.FLOAT}. */
  static final int FLOAT = 1;
  /** {@code TensorProto.DataType.INT64}. */
  static final int INT64 = 7;
  private static final int IR_VERSION = 8;

  private final String graphName;
  private final List<byte[]> nodes = new ArrayList<>();
  private final List<byte[]> initializers = new ArrayList<>();
  private final List<byte[]> inputs = new ArrayList<>();
  private final List<byte[]> outputs = new ArrayList<>();
  private final Map<String, String> metadata = new LinkedHashMap<>();
  private int names;

  /** A node attribute: {@code value} is a Long, long[], Float or String. */
  public record Attr(String name, Object value) {}

  public OnnxModel(String graphName) {
    this.graphName = graphName;
  }

  /** A float graph input of shape {@code dims} (-1: the batch dimension {@code N}); returns its name. */
  public String input(String name, long... dims) {
    inputs.add(valueInfo(name, dims));
    return name;
  }

  /** Declares {@code name} a float graph output of shape {@code dims} (-1: {@code N}). */
  public void output(String name, long... dims) {
    outputs.add(valueInfo(name, dims));
  }

  /** A float constant of shape {@code dims}, row-major; returns its name. */
  public String initializer(String name, long[] dims, float[] data) {
    ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(data);
    return tensor(name, dims, data.length, FLOAT, raw.array());
  }

  /** An int64 constant of shape {@code dims} (e.g. {@code Pad}'s pads); returns its name. */
  public String int64Initializer(String name, long[] dims, long[] data) {
    ByteBuffer raw = ByteBuffer.allocate(8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.asLongBuffer().put(data);
    return tensor(name, dims, data.length, INT64, raw.array());
  }

  /** A {@code TensorProto} initializer: dims (1), data_type (2), name (8), little-endian raw_data (9). */
  private String tensor(String name, long[] dims, int values, int type, byte[] raw) {
    long n = 1;
    for (long d : dims) {
      n *= d;
    }
    if (n != values) {
      throw new IllegalArgumentException(name + ": " + values + " values for " + n + " elements");
    }
    Proto t = new Proto();
    for (long d : dims) {
      t.int64(1, d);
    }
    t.int64(2, type).string(8, name).bytes(9, raw);
    initializers.add(t.toBytes());
    return name;
  }

  /** A node {@code op} of the default domain; returns the name of its (first) output, made unique here. */
  public String node(String op, List<String> in, Attr... attrs) {
    String out = op.toLowerCase(Locale.ROOT) + "_" + names++;
    node(op, in, List.of(out), attrs);
    return out;
  }

  /** A node {@code op} of the default domain with the given output names. */
  public void node(String op, List<String> in, List<String> out, Attr... attrs) {
    Proto n = new Proto();
    in.forEach(i -> n.string(1, i));
    out.forEach(o -> n.string(2, o));
    n.string(3, out.get(0)).string(4, op);
    for (Attr a : attrs) {
      n.message(5, attribute(a));
    }
    nodes.add(n.toBytes());
  }

  /** A {@code metadata_props} entry (e.g. the labels, the input contract). */
  public void metadata(String key, String value) {
    metadata.put(key, value);
  }

  /** The {@code ModelProto} bytes. */
  public byte[] toBytes() {
    Proto g = new Proto();
    nodes.forEach(b -> g.message(1, b));
    g.string(2, graphName);
    initializers.forEach(b -> g.message(5, b));
    inputs.forEach(b -> g.message(11, b));
    outputs.forEach(b -> g.message(12, b));
    Proto m = new Proto().int64(1, IR_VERSION).string(2, "streamfit").message(7, g.toBytes())
        .message(8, new Proto().string(1, "").int64(2, OPSET).toBytes());
    metadata.forEach((k, v) -> m.message(14, new Proto().string(1, k).string(2, v).toBytes()));
    return m.toBytes();
  }

  private static byte[] valueInfo(String name, long[] dims) {
    Proto shape = new Proto();
    for (long d : dims) {
      shape.message(1, d < 0 ? new Proto().string(2, "N").toBytes() : new Proto().int64(1, d).toBytes());
    }
    byte[] tensor = new Proto().int64(1, FLOAT).message(2, shape.toBytes()).toBytes();
    return new Proto().string(1, name).message(2, new Proto().message(1, tensor).toBytes()).toBytes();
  }

  /** {@code AttributeProto}: name (1), type (20) and one of f (2), i (3), s (4), ints (8). */
  private static byte[] attribute(Attr a) {
    Proto p = new Proto().string(1, a.name());
    Object v = a.value();
    if (v instanceof Float f) {
      p.int64(20, 1).fixed32(2, Float.floatToRawIntBits(f));
    } else if (v instanceof Long i) {
      p.int64(20, 2).int64(3, i);
    } else if (v instanceof String s) {
      p.int64(20, 3).bytes(4, s.getBytes(StandardCharsets.UTF_8));
    } else if (v instanceof long[] ints) {
      p.int64(20, 7);
      for (long i : ints) {
        p.int64(8, i);
      }
    } else {
      throw new IllegalArgumentException("attribute " + a.name() + ": unsupported value " + v);
    }
    return p.toBytes();
  }

  /** Protobuf wire format: varints (wire type 0), 32-bit (5) and length-delimited (2) fields. */
  private static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto int64(int field, long v) {
      varint((long) field << 3);
      varint(v);
      return this;
    }

    Proto fixed32(int field, int bits) {
      varint((long) field << 3 | 5);
      for (int i = 0; i < 4; i++) {
        out.write(bits >>> (8 * i) & 0xff);
      }
      return this;
    }

    Proto string(int field, String s) {
      return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    Proto message(int field, byte[] b) {
      return bytes(field, b);
    }

    Proto bytes(int field, byte[] b) {
      varint((long) field << 3 | 2);
      varint(b.length);
      out.writeBytes(b);
      return this;
    }

    private void varint(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) (v & 0x7F) | 0x80);
        v >>>= 7;
      }
      out.write((int) v);
    }

    byte[] toBytes() {
      return out.toByteArray();
    }
  }
}
