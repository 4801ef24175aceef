package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.streamfit.engine.internal.OnnxExport;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The frozen bases' optimized inference graphs, exported as ONNX ({@link OnnxExport}) and run by ONNX Runtime
 * (Java, 1.24.1, test scope), give DL4J's features on real images: max |difference| ≤ 1e-4 of the largest feature,
 * at the input sizes where the padding differs (160, 224 and 299: even sides fold ZeroPadding into SAME convolutions,
 * 299 keeps explicit padding).
 */
class OnnxExportTest {
  @ParameterizedTest(name = "{0} at {1}")
  @CsvSource({"MOBILENET_V2_035, 224", "MOBILENET_V2_035, 160", "MOBILENET_V2_035, 299", "MOBILENET_V1_075, 224",
      "MOBILENET_V1_075, 299"})
  void onnxRuntimeComputesTheFeaturesDl4jComputes(BaseModel base, int size) throws Exception {
    List<byte[]> images = OptimizedGraphTest.sampleImages(3, size);
    ComputationGraph optimized = Models.optimizedBase(base, size);
    byte[] onnx = OnnxExport.optimizedGraph(optimized, size, size, Map.of("base", base.id()));
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (INDArray nchw = new InputEncoder(size, size, InputEncoder.NCHW).encode(images);
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(onnx, options);
        OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw.dup('c').data().asFloat()), nchw.shape());
        OrtSession.Result r = session.run(Map.of("pixels", t))) {
      INDArray expected = optimized.outputSingle(false, nchw);
      float[][] got = (float[][]) r.get("features").orElseThrow().getValue();
      assertThat(got.length).isEqualTo(images.size());
      assertThat(got[0].length).isEqualTo(base.featureSize());
      double max = expected.amaxNumber().doubleValue();
      double diff = 0;
      for (int n = 0; n < got.length; n++) {
        for (int j = 0; j < got[n].length; j++) {
          diff = Math.max(diff, Math.abs(got[n][j] - expected.getDouble(n, j)));
        }
      }
      System.out.printf("%s @%d: ONNX Runtime vs DL4J max abs diff %.3g (features up to %.3f)%n", base.id(), size, diff, max);
      assertThat(max).isGreaterThan(0.5);
      assertThat(diff).as("max |DL4J − ONNX Runtime| (features up to %s)", max).isLessThanOrEqualTo(1e-4 * max);
      assertThat(session.getMetadata().getCustomMetadata()).containsEntry("base", base.id());
    }
  }
}
