package dev.streamfit.imaging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streamfit.imaging.internal.ImageHeader;
import dev.streamfit.schemas.RejectReason;
import dev.streamfit.testkit.TestImages;
import java.util.Arrays;
import java.util.Map;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.Test;

/** What phones write (accepted as the image before its trailer) and decode-cost bombs (refused before decoding). */
class PhoneAndBombTest {
  private final ImageDecoder decoder = new ImageDecoder(DecodeLimits.defaults());

  @Test
  void jpegsWithTrailersAfterTheirEndOfImageDecodeAsTheImage() throws Exception {
    for (Map.Entry<String, byte[]> e : TestImages.phoneStyle().entrySet()) {
      ImageHeader h = decoder.probe(e.getValue());
      try (Mat m = decoder.decodeRgb(e.getValue())) {
        assertThat(m.cols()).as(e.getKey()).isEqualTo(h.width());
        assertThat(m.rows()).as(e.getKey()).isEqualTo(h.height());
      }
    }
    byte[] plain = TestImages.sampleJpeg("test", "hat");
    byte[] motion = TestImages.phoneStyle().get("motion-photo");
    try (Mat a = decoder.decodeRgb(plain); Mat b = decoder.decodeRgb(motion)) {
      assertThat(Pixels.toHwc(b)).isEqualTo(Pixels.toHwc(a));
    }
    assertThat(decoder.probe(TestImages.phoneStyle().get("progressive-with-trailer")).scans()).isGreaterThan(1);
  }

  @Test
  void aTruncatedJpegIsStillRefusedWithOrWithoutATrailer() throws Exception {
    byte[] jpeg = TestImages.sampleJpeg("test", "hat");
    for (int cut : new int[] {jpeg.length - 2, jpeg.length - 1, jpeg.length / 2, jpeg.length / 10}) {
      assertThat(ImageDecoderTest.reasonOf(decoder, Arrays.copyOf(jpeg, cut)).reason()).as("cut at " + cut)
          .isEqualTo(RejectReason.CORRUPT_IMAGE);
    }
    ImageRejectedException e = ImageDecoderTest.reasonOf(decoder, TestImages.hostile().get("truncated-with-trailer"));
    assertThat(e.reason()).isEqualTo(RejectReason.CORRUPT_IMAGE);
  }

  @Test
  void headerAndDecoderAgreeOnPngSize() {
    ImageRejectedException two = ImageDecoderTest.reasonOf(decoder, TestImages.hostile().get("ihdr-disagrees"));
    assertThat(two.reason()).isEqualTo(RejectReason.CORRUPT_IMAGE);
    assertThat(two.getMessage()).contains("second IHDR");
    ImageRejectedException late = ImageDecoderTest.reasonOf(decoder, TestImages.hostile().get("ihdr-not-first"));
    assertThat(late.getMessage()).contains("first chunk must be a 13-byte IHDR");
    byte[] badCrc = TestImages.pngBomb(16, 16);
    badCrc[29] ^= 1;
    assertThat(ImageDecoderTest.reasonOf(decoder, badCrc).getMessage()).contains("IHDR checksum");
  }

  @Test
  void aJpegWithThousandsOfScansIsRefusedBeforeDecoding() throws Exception {
    byte[] bomb = TestImages.hostile().get("many-scans");
    ImageRejectedException e = ImageDecoderTest.reasonOf(decoder, bomb);
    assertThat(e.reason()).isEqualTo(RejectReason.DECODE_COST);
    assertThat(e.getMessage()).contains("decode.max-scans");
    // the same file within a scan cap that admits it is a valid (if odd) JPEG the guard reads to its end
    ImageDecoder lenient = new ImageDecoder(new DecodeLimits(16 << 20, 8192, 40_000_000L, 10_000));
    assertThat(lenient.probe(bomb).scans()).isGreaterThan(3000);
    // and the work budget (scans x pixels) refuses a big image with fewer scans
    ImageDecoder tight = new ImageDecoder(new DecodeLimits(16 << 20, 8192, 1000, 10_000));
    ImageRejectedException budget = ImageDecoderTest.reasonOf(tight, TestImages.manyScans(
        TestImages.progressiveJpeg(new java.awt.image.BufferedImage(30, 30, java.awt.image.BufferedImage.TYPE_3BYTE_BGR)), 20));
    assertThat(budget.reason()).isEqualTo(RejectReason.DECODE_COST);
    assertThat(budget.getMessage()).contains("decode budget");
  }
}
