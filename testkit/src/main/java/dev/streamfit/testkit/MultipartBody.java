package dev.streamfit.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A {@code multipart/form-data} body as browsers and curl send it: optional text fields, then one part per file
 * (field {@code file}). Immutable.
 *
 * @param contentType the Content-Type header value, with its boundary
 * @param bytes the body
 */
public record MultipartBody(String contentType, byte[] bytes) {
  /** {@code files} as parts named {@code file}, after a text field {@code note} when {@code withNote}. */
  public static MultipartBody of(List<byte[]> files, boolean withNote) {
    String boundary = "----streamfit" + System.nanoTime();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (withNote) {
      out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n")
          .getBytes(StandardCharsets.US_ASCII));
    }
    int i = 0;
    for (byte[] f : files) {
      out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"img" + i++
          + ".jpg\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.writeBytes(f);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    return new MultipartBody("multipart/form-data; boundary=" + boundary, out.toByteArray());
  }
}
