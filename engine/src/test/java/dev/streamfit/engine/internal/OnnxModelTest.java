package dev.streamfit.engine.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The bytes {@link OnnxModel} writes are an ONNX model that ONNX Runtime (the Java package, 1.24) loads and runs:
 * a small CNN with the operators MobileNet's inference graph needs (strided and padded Conv with bias, Clip as
 * ReLU6, depthwise Conv, a residual Add, GlobalAveragePool, Flatten, Gemm, Softmax) gives the probabilities of a
 * plain-Java reference, for a batch of two; the symbolic batch dimension and the metadata come through.
 */
class OnnxModelTest {
  private static final Random RANDOM = new Random(7);

  @Test
  void onnxRuntimeRunsTheWrittenGraphAsTheReferenceComputesIt() throws OrtException {
    float[] w1 = random(4 * 3 * 3 * 3);
    float[] b1 = random(4);
    float[] w2 = random(4 * 3 * 3);
    float[] b2 = random(4);
    float[] wd = random(3 * 4);
    float[] bd = random(3);
    OnnxModel m = new OnnxModel("tiny");
    String x = m.input("pixels", -1, 3, 6, 6);
    String c1 = m.node("Conv", List.of(x, m.initializer("w1", new long[] {4, 3, 3, 3}, w1),
        m.initializer("b1", new long[] {4}, b1)), new OnnxModel.Attr("kernel_shape", new long[] {3, 3}),
        new OnnxModel.Attr("pads", new long[] {1, 1, 1, 1}), new OnnxModel.Attr("strides", new long[] {2, 2}));
    String r1 = m.node("Clip", List.of(c1, m.initializer("zero", new long[0], new float[] {0}),
        m.initializer("six", new long[0], new float[] {6})));
    String c2 = m.node("Conv", List.of(r1, m.initializer("w2", new long[] {4, 1, 3, 3}, w2),
        m.initializer("b2", new long[] {4}, b2)), new OnnxModel.Attr("group", 4L),
        new OnnxModel.Attr("kernel_shape", new long[] {3, 3}), new OnnxModel.Attr("pads", new long[] {1, 1, 1, 1}));
    String sum = m.node("Add", List.of(r1, c2));
    String pooled = m.node("GlobalAveragePool", List.of(sum));
    String flat = m.node("Flatten", List.of(pooled), new OnnxModel.Attr("axis", 1L));
    String logits = m.node("Gemm", List.of(flat, m.initializer("wd", new long[] {3, 4}, wd),
        m.initializer("bd", new long[] {3}, bd)), new OnnxModel.Attr("transB", 1L), new OnnxModel.Attr("alpha", 1.0f));
    m.node("Softmax", List.of(logits), List.of("probabilities"), new OnnxModel.Attr("axis", 1L));
    m.output("probabilities", -1, 3);
    m.metadata("labels", "a,b,c");
    m.metadata("note", "written by OnnxModel");
    byte[] bytes = m.toBytes();

    float[] input = random(2 * 3 * 6 * 6);
    for (int i = 0; i < input.length; i++) {
      input[i] *= 4; // past ReLU6's clamps on both sides
    }
    float[][] expected = new float[2][];
    for (int n = 0; n < 2; n++) {
      float[] img = java.util.Arrays.copyOfRange(input, n * 108, (n + 1) * 108);
      float[] a1 = conv(img, 3, 6, w1, b1, 4, 1, 2);
      for (int i = 0; i < a1.length; i++) {
        a1[i] = Math.min(6, Math.max(0, a1[i]));
      }
      float[] a2 = conv(a1, 4, 3, w2, b2, 4, 4, 1);
      float[] pooledRef = new float[4];
      for (int c = 0; c < 4; c++) {
        for (int i = 0; i < 9; i++) {
          pooledRef[c] += (a1[c * 9 + i] + a2[c * 9 + i]) / 9;
        }
      }
      double[] z = new double[3];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < 3; k++) {
        z[k] = bd[k];
        for (int c = 0; c < 4; c++) {
          z[k] += wd[k * 4 + c] * pooledRef[c];
        }
        max = Math.max(max, z[k]);
      }
      double total = 0;
      for (int k = 0; k < 3; k++) {
        total += Math.exp(z[k] - max);
      }
      expected[n] = new float[3];
      for (int k = 0; k < 3; k++) {
        expected[n][k] = (float) (Math.exp(z[k] - max) / total);
      }
    }

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(bytes, options);
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {2, 3, 6, 6});
        OrtSession.Result result = session.run(Map.of("pixels", t))) {
      NodeInfo in = session.getInputInfo().get("pixels");
      assertThat(((TensorInfo) in.getInfo()).getShape()).containsExactly(-1, 3, 6, 6);
      assertThat(session.getMetadata().getCustomMetadata()).containsEntry("labels", "a,b,c")
          .containsEntry("note", "written by OnnxModel");
      assertThat(session.getMetadata().getProducerName()).isEqualTo("streamfit");
      float[][] got = (float[][]) result.get("probabilities").orElseThrow().getValue();
      for (int n = 0; n < 2; n++) {
        for (int k = 0; k < 3; k++) {
          assertThat(got[n][k]).as("image %d class %d", n, k).isCloseTo(expected[n][k], org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
      assertThat(expected[0][0]).isNotEqualTo(expected[1][0]);
    }
  }

  @Test
  void anInitializerWhoseValuesDoNotFillItsShapeIsRefused() {
    assertThatThrownBy(() -> new OnnxModel("g").initializer("w", new long[] {2, 3}, new float[5]))
        .hasMessageContaining("5 values for 6 elements");
    assertThatThrownBy(() -> new OnnxModel("g").node("Relu", List.of("x"), new OnnxModel.Attr("k", 1)))
        .hasMessageContaining("unsupported value 1");
  }

  /** Reference NCHW convolution of one square image, SAME-style padding (kernel 3, pad 1), {@code groups} groups. */
  private static float[] conv(float[] in, int cin, int side, float[] w, float[] b, int cout, int groups, int stride) {
    int outSide = (side + 2 - 3) / stride + 1;
    int perGroupIn = cin / groups;
    int perGroupOut = cout / groups;
    float[] out = new float[cout * outSide * outSide];
    for (int o = 0; o < cout; o++) {
      int g = o / perGroupOut;
      for (int y = 0; y < outSide; y++) {
        for (int x = 0; x < outSide; x++) {
          double acc = b[o];
          for (int ci = 0; ci < perGroupIn; ci++) {
            int c = g * perGroupIn + ci;
            for (int ky = 0; ky < 3; ky++) {
              for (int kx = 0; kx < 3; kx++) {
                int iy = y * stride + ky - 1;
                int ix = x * stride + kx - 1;
                if (iy >= 0 && iy < side && ix >= 0 && ix < side) {
                  acc += w[((o * perGroupIn + ci) * 3 + ky) * 3 + kx] * in[(c * side + iy) * side + ix];
                }
              }
            }
          }
          out[(o * outSide + y) * outSide + x] = (float) acc;
        }
      }
    }
    return out;
  }

  private static float[] random(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) RANDOM.nextGaussian() * 0.5f;
    }
    return a;
  }
}
