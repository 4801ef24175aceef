package dev.streamfit.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_core.absdiff;
import static org.bytedeco.opencv.global.opencv_core.mean;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import dev.streamfit.imaging.internal.TurboJpeg;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The TurboJPEG path (when libturbojpeg is installed, as .ci/run does) against OpenCV's decoder. */
class TurboJpegTest {
  @Test
  void turboDecodeMatchesOpenCvAfterResizing() throws Exception {
    Assumptions.assumeTrue(TurboJpeg.available(), "libturbojpeg not installed");
    byte[] jpeg = ImageDecoderTest.sampleJpeg();
    ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());
    try (Mat scaled = decoder.decodeRgb(jpeg, 224)) {
      Mat bgr;
      try (BytePointer p = new BytePointer(jpeg); Mat buf = new Mat(1, jpeg.length, org.bytedeco.opencv.global.opencv_core.CV_8UC1, p)) {
        bgr = imdecode(buf, IMREAD_COLOR);
      }
      // a 400-px-wide photo: half would be below 224, so full size, like OpenCV's
      assertThat(scaled.cols()).isEqualTo(bgr.cols()).isEqualTo(400);
      assertThat(scaled.rows()).isEqualTo(bgr.rows());
      try (bgr; Mat a = Pixels.resize(scaled, 224, 224); Mat full = new Mat(); Mat diff = new Mat()) {
        cvtColor(bgr, full, COLOR_BGR2RGB);
        try (Mat b = Pixels.resize(full, 224, 224)) {
          absdiff(a, b, diff);
          try (Scalar m = mean(diff)) {
            assertThat(m.get(0)).as("mean |turbo - opencv| red").isLessThan(3.0);
            assertThat(m.get(1)).isLessThan(3.0);
            assertThat(m.get(2)).isLessThan(3.0);
          }
        }
      }
    }
  }
}
