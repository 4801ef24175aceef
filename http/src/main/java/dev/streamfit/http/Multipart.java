package dev.streamfit.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A minimal {@code multipart/form-data} reader (RFC 7578) over an in-memory body, for the stages' HTTP
 * endpoints (serving, ingest). Linear in the body size whatever the boundary (RFC 2046 caps it at 70 characters;
 * a longer one is refused); at most {@value #MAX_PARTS} parts. Stateless and thread-safe.
 */
public final class Multipart {
  /** Most parts one body may carry. */
  public static final int MAX_PARTS = 256;
  /** Longest boundary RFC 2046 allows. */
  public static final int MAX_BOUNDARY = 70;

  /** One part: its form field name, file name (may be null), content type (may be null) and bytes. */
  public record Part(String name, String filename, String contentType, byte[] content) {}

  private Multipart() {}

  /** The boundary of a {@code multipart/form-data} content type, or null if it is not one. */
  public static String boundary(String contentType) {
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
      return null;
    }
    for (String p : contentType.split(";")) {
      String kv = p.trim();
      if (kv.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
        String b = kv.substring("boundary=".length());
        b = b.startsWith("\"") && b.endsWith("\"") && b.length() >= 2 ? b.substring(1, b.length() - 1) : b;
        if (b.isEmpty() || b.length() > MAX_BOUNDARY) {
          throw new IllegalArgumentException("multipart boundary is " + b.length() + " characters; RFC 2046 allows 1 to "
              + MAX_BOUNDARY);
        }
        return b;
      }
    }
    throw new IllegalArgumentException("multipart/form-data without a boundary parameter");
  }

  /**
   * The files a request carries: the parts with a file name or named {@code file} or {@code image} when its body
   * is {@code multipart/form-data}, else null. A malformed body or boundary is {@link HttpError} 400.
   */
  public static List<Part> files(Request r) {
    String boundary;
    try {
      boundary = boundary(r.header("Content-Type"));
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest(e.getMessage());
    }
    if (boundary == null) {
      return null;
    }
    try {
      return parse(r.body(), boundary).stream()
          .filter(p -> p.filename() != null || "file".equals(p.name()) || "image".equals(p.name())).toList();
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest("malformed multipart/form-data body: " + e.getMessage());
    }
  }

  /**
   * The one file of a request: its multipart file, or the whole body when it is not multipart. A multipart body
   * with another number of files is {@link HttpError} 400 ({@code hint} says where several go; may be empty).
   */
  public static byte[] oneFile(Request r, String hint) {
    List<Part> files = files(r);
    if (files == null) {
      return r.body();
    }
    if (files.size() != 1) {
      throw HttpError.badRequest("multipart body must carry exactly one file, carried " + files.size() + hint);
    }
    return files.get(0).content();
  }

  /** The parts of {@code body}; throws IllegalArgumentException when it is not well-formed. */
  public static List<Part> parse(byte[] body, String boundary) {
    byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<Part> parts = new ArrayList<>();
    int pos = indexOf(body, delim, 0);
    if (pos < 0) {
      throw new IllegalArgumentException("multipart body has no boundary line");
    }
    while (true) {
      int after = pos + delim.length;
      if (after + 1 < body.length && body[after] == '-' && body[after + 1] == '-') {
        return parts; // closing delimiter
      }
      int headersStart = skipCrlf(body, after);
      int headersEnd = indexOf(body, new byte[] {'\r', '\n', '\r', '\n'}, headersStart);
      if (headersEnd < 0) {
        throw new IllegalArgumentException("multipart part without a header end");
      }
      String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8);
      int contentStart = headersEnd + 4;
      byte[] next = new byte[delim.length + 2];
      next[0] = '\r';
      next[1] = '\n';
      System.arraycopy(delim, 0, next, 2, delim.length);
      int contentEnd = indexOf(body, next, contentStart);
      if (contentEnd < 0) {
        throw new IllegalArgumentException("multipart part is not terminated by the boundary");
      }
      String name = null;
      String filename = null;
      String type = null;
      for (String line : headers.split("\r\n")) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-disposition:")) {
          name = param(line, "name");
          filename = param(line, "filename");
        } else if (lower.startsWith("content-type:")) {
          type = line.substring("content-type:".length()).trim();
        }
      }
      if (parts.size() == MAX_PARTS) {
        throw new IllegalArgumentException("more than " + MAX_PARTS + " parts");
      }
      parts.add(new Part(name, filename, type, Arrays.copyOfRange(body, contentStart, contentEnd)));
      pos = contentEnd + 2;
    }
  }

  private static String param(String header, String key) {
    for (String p : header.split(";")) {
      String kv = p.trim();
      if (kv.regionMatches(true, 0, key + "=", 0, key.length() + 1)) {
        String v = kv.substring(key.length() + 1);
        return v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2 ? v.substring(1, v.length() - 1) : v;
      }
    }
    return null;
  }

  private static int skipCrlf(byte[] b, int i) {
    return i + 1 < b.length && b[i] == '\r' && b[i + 1] == '\n' ? i + 2 : i;
  }

  /** First index of {@code needle} in {@code hay} at or after {@code from}, or -1; Knuth-Morris-Pratt, O(n + m). */
  static int indexOf(byte[] hay, byte[] needle, int from) {
    int m = needle.length;
    if (m == 0) {
      return Math.max(0, from);
    }
    int[] fail = new int[m];
    for (int i = 1, k = 0; i < m; i++) {
      while (k > 0 && needle[i] != needle[k]) {
        k = fail[k - 1];
      }
      if (needle[i] == needle[k]) {
        k++;
      }
      fail[i] = k;
    }
    for (int i = Math.max(0, from), k = 0; i < hay.length; i++) {
      while (k > 0 && hay[i] != needle[k]) {
        k = fail[k - 1];
      }
      if (hay[i] == needle[k]) {
        k++;
      }
      if (k == m) {
        return i - m + 1;
      }
    }
    return -1;
  }
}
