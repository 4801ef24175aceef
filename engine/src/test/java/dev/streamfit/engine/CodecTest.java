package dev.streamfit.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Encoders/decoders, no model needed. */
class CodecTest {
  @Test
  void encoderScalesUint8ToMinusOneOneInNhwcOrder() {
    byte[] img = new byte[2 * 3 * 3];
    img[0] = 0;
    img[1] = (byte) 255;
    img[2] = (byte) 127;
    img[3 * 3 + 2] = (byte) 200; // HWC offset 11 = (y=1, x=0, c=2)
    try (INDArray x = new InputEncoder(2, 3, InputEncoder.NHWC).encode(List.of(img, img))) {
      assertThat(x.shape()).containsExactly(2, 2, 3, 3);
      assertThat(x.getFloat(0, 0, 0, 0)).isEqualTo(-1f);
      assertThat(x.getFloat(0, 0, 0, 1)).isEqualTo(1f);
      assertThat(x.getFloat(0, 0, 0, 2)).isCloseTo(127 / 127.5f - 1, org.assertj.core.data.Offset.offset(1e-6f));
      assertThat(x.getFloat(1, 1, 0, 2)).isCloseTo(200 / 127.5f - 1, org.assertj.core.data.Offset.offset(1e-6f));
    }
  }

  @Test
  void nchwEncoderPutsChannelsFirst() {
    byte[] img = new byte[2 * 3 * 3];
    img[(1 * 3 + 2) * 3 + 1] = (byte) 255; // (y=1, x=2, c=G)
    try (INDArray x = new InputEncoder(2, 3, InputEncoder.NCHW).encode(List.of(img))) {
      assertThat(x.shape()).containsExactly(1, 3, 2, 3);
      assertThat(x.getFloat(0, 1, 1, 2)).isEqualTo(1f);
      assertThat(x.getFloat(0, 0, 1, 2)).isEqualTo(-1f);
      assertThat(x.sumNumber().floatValue()).isEqualTo(-17f + 1f);
    }
  }

  @Test
  void encoderRejectsWrongSizes() {
    assertThatThrownBy(() -> new InputEncoder(2, 3, InputEncoder.NHWC).encode(List.of(new byte[5])))
        .hasMessageContaining("expected 18 bytes (2x3x3), got 5");
  }

  @Test
  void decoderReturnsTopKMostProbableFirst() {
    OutputDecoder d = new OutputDecoder(List.of("a", "b", "c", "d"));
    INDArray p = Nd4j.createFromArray(new float[][] {{0.1f, 0.6f, 0.05f, 0.25f}});
    assertThat(d.topK(p, 0, 2)).extracting(ClassProbability::label).containsExactly("b", "d");
    assertThat(d.topK(p, 0, 10)).hasSize(4);
    assertThat(OutputDecoder.argMax(p)).containsExactly(1);
    assertThatThrownBy(() -> d.topK(new double[3], 1)).hasMessageContaining("3 outputs but 4 labels");
  }

  @Test
  void baseModelIdsParseAndListAlternatives() {
    assertThat(BaseModel.fromId("mobilenetv2-0.35")).isEqualTo(BaseModel.MOBILENET_V2_035);
    assertThatThrownBy(() -> BaseModel.fromId("resnet")).hasMessageContaining("known: [mobilenetv2-0.35, mobilenet-v1-0.75, scratch-cnn]");
  }
}
