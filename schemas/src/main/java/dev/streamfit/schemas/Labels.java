package dev.streamfit.schemas;

import java.util.regex.Pattern;

/**
 * The syntax of a class label, checked wherever labels enter (HTTP, labels CSV, folder names, stdin lists, the
 * {@code --labels} flag): {@value #RULE}. It keeps labels safe as file and folder names, metric tags, log text and
 * JSON, in any language. Stateless and thread-safe.
 */
public final class Labels {
  /** Longest label, in characters (code points). */
  public static final int MAX_LENGTH = 64;
  /** The rule, as error messages state it. */
  public static final String RULE = "a label is 1 to " + MAX_LENGTH + " characters: letters and digits of any script,"
      + " and inside it also space, '_', '-', '.' or '+'; it starts with a letter or digit and does not end with a space";
  private static final Pattern SYNTAX = Pattern.compile("[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N} _.+-]*[\\p{L}\\p{M}\\p{N}_.+-])?");

  private Labels() {}

  /** Null when {@code label} follows {@link #RULE}, else why not (the label shown escaped and shortened). */
  public static String problem(String label) {
    if (label == null || label.isEmpty()) {
      return "empty label: " + RULE;
    }
    int n = label.codePointCount(0, label.length());
    if (n > MAX_LENGTH) {
      return "label " + shown(label) + " has " + n + " characters: " + RULE;
    }
    if (!SYNTAX.matcher(label).matches()) {
      return "label " + shown(label) + " is not allowed: " + RULE;
    }
    return null;
  }

  /** Quoted, control and non-ASCII-printable characters escaped, at most 40 characters of it. */
  static String shown(String s) {
    StringBuilder b = new StringBuilder("'");
    int shown = 0;
    for (int i = 0; i < s.length() && shown < 40; i++, shown++) {
      char c = s.charAt(i);
      if (c >= 0x20 && c < 0x7F && c != '\'') {
        b.append(c);
      } else if (Character.isLetterOrDigit(c)) {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.append(s.length() > 40 ? "'…" : "'").toString();
  }
}
