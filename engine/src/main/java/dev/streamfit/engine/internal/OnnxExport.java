package dev.streamfit.engine.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.ElementWiseVertex;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU6;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Writes the inference graph {@link InferenceGraphOptimizer} builds (NCHW, BatchNorm folded, activations fused) as an
 * ONNX model ({@link OnnxModel}): input {@code pixels} {@code [N, 3, height, width]} (float, scaled as the version's
 * input contract says), output {@code features} {@code [N, C]}. Convolutions become {@code Conv} with explicit pads
 * (DL4J's SAME: {@code ceil(in/stride)} outputs, the odd pixel of padding at the end, as TensorFlow pads), depthwise
 * ones {@code Conv} with {@code group = C} and their {@code [kH, kW, C, m]} weights laid out as {@code [C·m, 1, kH,
 * kW]}; ReLU6 is {@code Clip(0, 6)}; zero padding is {@code Pad}; an element-wise sum is {@code Add}; global pooling
 * is {@code GlobalAveragePool}/{@code GlobalMaxPool} then {@code Flatten}. Anything else fails, naming the vertex.
 * Stateless.
 */
public final class OnnxExport {
  private OnnxExport() {}

  /**
   * The ONNX bytes of {@code graph} (an optimized feature extractor for {@code height}x{@code width} inputs), with
   * {@code metadata} as the model's metadata properties.
   */
  public static byte[] optimizedGraph(ComputationGraph graph, int height, int width, Map<String, String> metadata) {
    ComputationGraphConfiguration conf = graph.getConfiguration();
    String input = conf.getNetworkInputs().get(0);
    Map<String, InputType> types = conf.getLayerActivationTypes(InputType.convolutional(height, width, 3, CNN2DFormat.NCHW));
    OnnxModel m = new OnnxModel("streamfit-features");
    Map<String, String> tensor = new HashMap<>();
    tensor.put(input, m.input("pixels", -1, 3, height, width));
    Map<String, InputType> typeOf = new HashMap<>(types);
    typeOf.put(input, InputType.convolutional(height, width, 3, CNN2DFormat.NCHW));
    String clipMin = null;
    String clipMax = null;
    for (String name : conf.getTopologicalOrderStr()) {
      if (name.equals(input)) {
        continue;
      }
      GraphVertex v = conf.getVertices().get(name);
      List<String> in = conf.getVertexInputs().get(name);
      String x = tensor.get(in.get(0));
      String out;
      if (v instanceof LayerVertex lv) {
        Layer l = lv.getLayerConf().getLayer();
        IActivation act = new ActivationIdentity();
        if (l instanceof ConvolutionLayer c) {
          out = conv(m, graph, name, c, x, (InputType.InputTypeConvolutional) typeOf.get(in.get(0)));
          act = c.getActivationFn();
        } else if (l instanceof ZeroPaddingLayer zp) {
          int[] p = zp.getPadding(); // top, bottom, left, right
          out = m.node("Pad", List.of(x, m.int64Initializer(name + "_pads", new long[] {8},
              new long[] {0, 0, p[0], p[2], 0, 0, p[1], p[3]})));
        } else if (l instanceof ActivationLayer a) {
          out = x;
          act = a.getActivationFn();
        } else if (l instanceof GlobalPoolingLayer gp) {
          String op = gp.getPoolingType() == PoolingType.AVG ? "GlobalAveragePool"
              : gp.getPoolingType() == PoolingType.MAX ? "GlobalMaxPool" : null;
          if (op == null) {
            throw new IllegalArgumentException("cannot export " + gp.getPoolingType() + " pooling of " + name);
          }
          out = m.node("Flatten", List.of(m.node(op, List.of(x))), new OnnxModel.Attr("axis", 1L));
        } else {
          throw new IllegalArgumentException("cannot export layer " + name + " (" + l.getClass().getSimpleName() + ")");
        }
        if (act instanceof ActivationReLU6) {
          if (clipMin == null) {
            clipMin = m.initializer("relu6_min", new long[0], new float[] {0});
            clipMax = m.initializer("relu6_max", new long[0], new float[] {6});
          }
          out = m.node("Clip", List.of(out, clipMin, clipMax));
        } else if (act instanceof ActivationReLU r && r.getMax() == null) {
          out = m.node("Relu", List.of(out));
        } else if (!(act instanceof ActivationIdentity)) {
          throw new IllegalArgumentException("cannot export activation " + act + " of " + name);
        }
      } else if (v instanceof ElementWiseVertex ew && ew.getOp() == ElementWiseVertex.Op.Add) {
        List<String> xs = new ArrayList<>();
        in.forEach(i -> xs.add(tensor.get(i)));
        out = xs.get(0);
        for (int i = 1; i < xs.size(); i++) {
          out = m.node("Add", List.of(out, xs.get(i)));
        }
      } else {
        throw new IllegalArgumentException("cannot export vertex " + name + " (" + v.getClass().getSimpleName() + ")");
      }
      tensor.put(name, out);
    }
    String output = conf.getNetworkOutputs().get(0);
    m.node("Identity", List.of(tensor.get(output)), List.of("features"));
    InputType.InputTypeFeedForward ff = (InputType.InputTypeFeedForward) types.get(output);
    m.output("features", -1, ff.getSize());
    metadata.forEach(m::metadata);
    return m.toBytes();
  }

  private static String conv(OnnxModel m, ComputationGraph graph, String name, ConvolutionLayer c, String x,
      InputType.InputTypeConvolutional in) {
    int[] k = c.getKernelSize();
    int[] s = c.getStride();
    int[] d = c.getDilation();
    long[] pads;
    if (c.getConvolutionMode() == ConvolutionMode.Same) {
      long[] ph = samePads(in.getHeight(), k[0], s[0], d[0]);
      long[] pw = samePads(in.getWidth(), k[1], s[1], d[1]);
      pads = new long[] {ph[0], pw[0], ph[1], pw[1]};
    } else if (c.getConvolutionMode() == ConvolutionMode.Truncate || c.getConvolutionMode() == ConvolutionMode.Strict) {
      int[] p = c.getPadding();
      pads = new long[] {p[0], p[1], p[0], p[1]};
    } else {
      throw new IllegalArgumentException("cannot export convolution mode " + c.getConvolutionMode() + " of " + name);
    }
    INDArray w = graph.getLayer(name).getParam("W").castTo(DataType.FLOAT);
    long group = 1;
    long[] shape;
    float[] weights;
    if (c instanceof DepthwiseConvolution2D) {
      // DL4J [kH, kW, C, m] → ONNX [C·m, 1, kH, kW], output channel c·m + j
      INDArray onnx = w.permute(2, 3, 0, 1).dup('c');
      group = w.size(2);
      shape = new long[] {w.size(2) * w.size(3), 1, w.size(0), w.size(1)};
      weights = onnx.data().asFloat(); // a fresh row-major copy: its buffer is exactly its elements
    } else {
      shape = w.shape(); // [out, in, kH, kW], as ONNX
      weights = w.dup('c').data().asFloat();
    }
    List<String> inputs = new ArrayList<>(List.of(x, m.initializer(name + "_W", shape, weights)));
    if (c.hasBias()) {
      INDArray b = graph.getLayer(name).getParam("b").castTo(DataType.FLOAT);
      inputs.add(m.initializer(name + "_b", new long[] {b.length()}, b.dup('c').data().asFloat()));
    }
    return m.node("Conv", inputs, new OnnxModel.Attr("kernel_shape", new long[] {k[0], k[1]}),
        new OnnxModel.Attr("strides", new long[] {s[0], s[1]}), new OnnxModel.Attr("dilations", new long[] {d[0], d[1]}),
        new OnnxModel.Attr("pads", pads), new OnnxModel.Attr("group", group));
  }

  /** TensorFlow's (and DL4J's) SAME padding of one axis: [before, after], the odd pixel after. */
  static long[] samePads(long in, int kernel, int stride, int dilation) {
    long out = (in + stride - 1) / stride;
    long effective = (long) (kernel - 1) * dilation + 1;
    long total = Math.max(0, (out - 1) * stride + effective - in);
    return new long[] {total / 2, total - total / 2};
  }
}
