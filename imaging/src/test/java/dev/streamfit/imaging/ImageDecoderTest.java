package dev.streamfit.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streamfit.schemas.RejectReason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

class ImageDecoderTest {
  private final ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());

  /** A real JPEG from the bundled sample. */
  static byte[] sampleJpeg() throws IOException {
    Path dir = Path.of(System.getProperty("streamfit.root", "..")).resolve("data/clothing-sample/train/hat");
    try (Stream<Path> s = Files.list(dir)) {
      return Files.readAllBytes(s.sorted().findFirst().orElseThrow());
    }
  }

  @Test
  void decodesARealJpegToRgbAtTheRequestedSize() throws Exception {
    try (Mat m = decoder.decodeResized(sampleJpeg(), 224, 160)) {
      assertThat(m.cols()).isEqualTo(224);
      assertThat(m.rows()).isEqualTo(160);
      assertThat(m.channels()).isEqualTo(3);
      byte[] hwc = Pixels.toHwc(m);
      assertThat(hwc).hasSize(224 * 160 * 3);
      try (Mat back = Pixels.fromHwc(hwc, 160, 224)) {
        assertThat(Pixels.toHwc(back)).isEqualTo(hwc);
      }
    }
  }

  @Test
  void rejectsEmptyRandomAndForeignBytesWithReasons() {
    assertReason(new byte[0], RejectReason.EMPTY);
    byte[] random = new byte[4096];
    new Random(1).nextBytes(random);
    random[0] = 0x12;
    assertReason(random, RejectReason.UNSUPPORTED_FORMAT);
    assertReason("GIF89a....".getBytes(), RejectReason.UNSUPPORTED_FORMAT);
    assertReason(new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0}, RejectReason.UNSUPPORTED_FORMAT); // TIFF
  }

  @Test
  void rejectsTruncatedAndHeaderOnlyJpegs() throws Exception {
    byte[] jpeg = sampleJpeg();
    assertReason(Arrays.copyOf(jpeg, jpeg.length / 2), RejectReason.CORRUPT_IMAGE);
    assertReason(Arrays.copyOf(jpeg, 200), RejectReason.CORRUPT_IMAGE);
    assertThat(ImageDecoderTest.reasonOf(decoder, Arrays.copyOf(jpeg, jpeg.length / 2)).getMessage()).contains("truncated JPEG");
  }

  @Test
  void rejectsOversizedBytesAndDeclaredDimensionsBeforeDecoding() throws Exception {
    assertReason(png(100_000, 100_000), RejectReason.DIMENSIONS_TOO_LARGE);
    ImageDecoder small = new ImageDecoder(new DecodeLimits(1000, 8192, 40_000_000));
    assertThatThrownBy(() -> small.decodeRgb(sampleJpeg())).isInstanceOfSatisfying(ImageRejectedException.class,
        e -> assertThat(e.reason()).isEqualTo(RejectReason.TOO_LARGE));
  }

  @Test
  void limitsAreValidatedWithTheKeyAndValue() {
    assertThatThrownBy(() -> new DecodeLimits(0, 1, 1)).hasMessageContaining("decode.max-bytes must be > 0, was 0");
  }

  private void assertReason(byte[] bytes, RejectReason reason) {
    assertThat(reasonOf(decoder, bytes).reason()).isEqualTo(reason);
  }

  static ImageRejectedException reasonOf(ImageDecoder d, byte[] bytes) {
    try (Mat m = d.decodeRgb(bytes)) {
      throw new AssertionError("expected a rejection, decoded " + m.cols() + "x" + m.rows());
    } catch (ImageRejectedException e) {
      return e;
    }
  }

  /** A syntactically valid PNG header declaring {@code w}x{@code h} with a tiny IDAT and IEND. */
  static byte[] png(int w, int h) {
    ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12 + 1 + 12);
    b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
    chunk(b, "IHDR", ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array());
    chunk(b, "IDAT", new byte[] {0});
    chunk(b, "IEND", new byte[0]);
    return Arrays.copyOf(b.array(), b.position());
  }

  static void chunk(ByteBuffer b, String type, byte[] data) {
    dev.streamfit.testkit.TestImages.chunk(b, type, data);
  }
}
