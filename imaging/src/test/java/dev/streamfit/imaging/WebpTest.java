package dev.streamfit.imaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_WEBP_QUALITY;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

import dev.streamfit.schemas.RejectReason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/** WebP, as browsers and phones send it: lossy and lossless decode; the guard reads its size and refuses the rest. */
class WebpTest {
  private final ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());

  /** A {@code w}x{@code h} gradient as WebP, {@code quality} 1..100 (above 100: lossless). */
  static byte[] webp(int w, int h, int quality) {
    byte[] hwc = new byte[w * h * 3];
    for (int i = 0; i < hwc.length; i++) {
      hwc[i] = (byte) ((i / 3) % w * 255 / w);
    }
    try (Mat m = Pixels.fromHwc(hwc, h, w); BytePointer buf = new BytePointer();
        IntPointer params = new IntPointer(IMWRITE_WEBP_QUALITY, quality)) {
      assertThat(imencode(".webp", m, buf, params)).isTrue();
      byte[] b = new byte[(int) buf.limit()];
      buf.get(b);
      return b;
    }
  }

  @Test
  void lossyAndLosslessWebpDecodeAtTheirSize() throws Exception {
    for (int q : new int[] {80, 101}) {
      byte[] b = webp(50, 30, q);
      assertThat(decoder.probe(b).mediaType()).isEqualTo("image/webp");
      assertThat(decoder.probe(b).width()).isEqualTo(50);
      assertThat(decoder.probe(b).height()).isEqualTo(30);
      try (Mat m = decoder.decodeRgb(b); Mat small = decoder.decodeResized(b, 16, 16)) {
        assertThat(m.cols()).isEqualTo(50);
        assertThat(m.rows()).isEqualTo(30);
        assertThat(small.cols()).isEqualTo(16);
      }
    }
    byte[] trailer = Arrays.copyOf(webp(20, 20, 101), webp(20, 20, 101).length + 7); // bytes after the RIFF: ignored
    try (Mat m = decoder.decodeRgb(trailer)) {
      assertThat(m.cols()).isEqualTo(20);
    }
  }

  @Test
  void truncatedAnimatedHugeAndInconsistentWebpAreRefused() {
    byte[] b = webp(64, 64, 80);
    assertThat(ImageDecoderTest.reasonOf(decoder, Arrays.copyOf(b, b.length - 10)).reason())
        .isEqualTo(RejectReason.CORRUPT_IMAGE);
    assertThat(ImageDecoderTest.reasonOf(decoder, Arrays.copyOf(b, 16)).reason()).isEqualTo(RejectReason.CORRUPT_IMAGE);
    ImageRejectedException animated = ImageDecoderTest.reasonOf(decoder, vp8x(0x02, 64, 64, b));
    assertThat(animated.reason()).isEqualTo(RejectReason.UNSUPPORTED_FORMAT);
    assertThat(animated.getMessage()).contains("animated WebP");
    assertThat(ImageDecoderTest.reasonOf(decoder, vp8x(0, 100, 64, b)).getMessage()).contains("canvas 100x64 but image 64x64");
    ImageRejectedException huge = ImageDecoderTest.reasonOf(decoder, vp8x(0, 16384, 16384, vp8lDeclaring(16384, 16384)));
    assertThat(huge.reason()).isEqualTo(RejectReason.DIMENSIONS_TOO_LARGE);
    assertThat(ImageDecoderTest.reasonOf(decoder, "RIFF\u0004\0\0\0WEBP".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))
        .getMessage()).contains("no image data");
    assertThat(ImageDecoderTest.reasonOf(decoder, "GIF89a....".getBytes()).getMessage())
        .contains("image/jpeg, image/png, image/webp");
  }

  /** {@code still} (a simple WebP) wrapped with a VP8X chunk of {@code flags} and canvas {@code w}x{@code h}. */
  private static byte[] vp8x(int flags, int w, int h, byte[] still) {
    byte[] body = Arrays.copyOfRange(still, 12, still.length);
    ByteBuffer out = ByteBuffer.allocate(12 + 18 + body.length).order(ByteOrder.LITTLE_ENDIAN);
    out.put("RIFF".getBytes()).putInt(4 + 18 + body.length).put("WEBP".getBytes());
    out.put("VP8X".getBytes()).putInt(10).put((byte) flags).put(new byte[3]);
    out.put((byte) (w - 1)).put((byte) ((w - 1) >> 8)).put((byte) ((w - 1) >> 16));
    out.put((byte) (h - 1)).put((byte) ((h - 1) >> 8)).put((byte) ((h - 1) >> 16));
    out.put(body);
    return out.array();
  }

  /** A simple WebP whose VP8L header declares {@code w}x{@code h} (no real image data after it). */
  private static byte[] vp8lDeclaring(int w, int h) {
    ByteBuffer out = ByteBuffer.allocate(12 + 8 + 6).order(ByteOrder.LITTLE_ENDIAN);
    out.put("RIFF".getBytes()).putInt(4 + 8 + 6).put("WEBP".getBytes());
    out.put("VP8L".getBytes()).putInt(5).put((byte) 0x2F).putInt((w - 1) | ((h - 1) << 14)).put((byte) 0);
    return out.array();
  }
}
