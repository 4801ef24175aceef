package dev.streamfit.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MultipartTest {
  @Test
  void readsFilesAndFieldsIncludingBinaryBytesThatLookLikeDelimiters() {
    byte[] binary = {(byte) 0xFF, (byte) 0xD8, '\r', '\n', '-', '-', 'x', 0, (byte) 0xFF, (byte) 0xD9};
    String head = "--abc\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
        + "--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
    byte[] body = concat(head.getBytes(StandardCharsets.ISO_8859_1), binary, "\r\n--abc--\r\n".getBytes(StandardCharsets.ISO_8859_1));
    assertThat(Multipart.boundary("multipart/form-data; boundary=abc")).isEqualTo("abc");
    assertThat(Multipart.boundary("multipart/form-data; boundary=\"abc\"")).isEqualTo("abc");
    assertThat(Multipart.boundary("image/jpeg")).isNull();
    List<Multipart.Part> parts = Multipart.parse(body, "abc");
    assertThat(parts).hasSize(2);
    assertThat(parts.get(0).name()).isEqualTo("note");
    assertThat(parts.get(0).filename()).isNull();
    assertThat(new String(parts.get(0).content(), StandardCharsets.UTF_8)).isEqualTo("hello");
    assertThat(parts.get(1).filename()).isEqualTo("a.jpg");
    assertThat(parts.get(1).contentType()).isEqualTo("image/jpeg");
    assertThat(parts.get(1).content()).isEqualTo(binary);
  }

  @Test
  void malformedBodiesAreRefused() {
    assertThatThrownBy(() -> Multipart.parse("nothing".getBytes(), "abc")).hasMessageContaining("no boundary line");
    assertThatThrownBy(() -> Multipart.parse("--abc\r\nContent-Disposition: form-data\r\n\r\nunterminated".getBytes(), "abc"))
        .hasMessageContaining("not terminated");
    assertThatThrownBy(() -> Multipart.boundary("multipart/form-data")).hasMessageContaining("boundary");
  }

  @Test
  void boundariesFollowRfc2046AndTheSearchFindsNeedlesAmongNearMisses() {
    assertThatThrownBy(() -> Multipart.boundary("multipart/form-data; boundary=" + "b".repeat(71)))
        .hasMessageContaining("RFC 2046 allows 1 to 70");
    assertThatThrownBy(() -> Multipart.boundary("multipart/form-data; boundary=\"\"")).hasMessageContaining("1 to 70");
    assertThat(Multipart.boundary("multipart/form-data; boundary=" + "b".repeat(70))).hasSize(70);
    // near-misses of a needle: the naive search is O(n*m) on these, Knuth-Morris-Pratt finds the real one
    byte[] needle = ("a".repeat(69) + "b").getBytes(StandardCharsets.ISO_8859_1);
    byte[] hay = ("a".repeat(100_000) + "a".repeat(69) + "b").getBytes(StandardCharsets.ISO_8859_1);
    assertThat(Multipart.indexOf(hay, needle, 0)).isEqualTo(100_000);
    assertThat(Multipart.indexOf(hay, needle, 100_001)).isEqualTo(-1);
    assertThat(Multipart.indexOf("abcabd".getBytes(), "abd".getBytes(), 0)).isEqualTo(3);
    assertThat(Multipart.indexOf("aab".getBytes(), "ab".getBytes(), 0)).isEqualTo(1);
    assertThat(Multipart.indexOf("ab".getBytes(), "abc".getBytes(), 0)).isEqualTo(-1);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
