using System.Security.Cryptography;
using System.Text;

namespace Oms.Api.Security;

/// <summary>
/// Keys read <c>oms_&lt;keyId&gt;_&lt;secret&gt;</c>: the id finds the stored record without a scan, the 256-bit
/// secret is what proves possession. Secret scanners can match the prefix.
/// </summary>
public static class ApiKeyFormat
{
    private const string Prefix = "oms_";
    private const int KeyIdHexLength = 16;
    private const int SecretBytes = 32;

    /// <summary>Keys this deployment issues are 64 characters; anything beyond this is not one of them.</summary>
    private const int MaxKeyLength = 200;

    /// <summary>Longer tokens are refused before any work: nothing legitimate is that long.</summary>
    public const int MaxTokenLength = 4_096;

    public static string NewKeyId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(KeyIdHexLength / 2));

    public static string NewKey(string keyId) =>
        $"{Prefix}{keyId}_{System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes))}";

    /// <returns>The key id, or null when the token is not shaped like one of this deployment's keys.</returns>
    public static string? KeyIdOf(string token)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length < Prefix.Length + KeyIdHexLength + 2 || token.Length > MaxKeyLength)
        {
            return null;
        }

        var id = token.AsSpan(Prefix.Length, KeyIdHexLength);
        return token[Prefix.Length + KeyIdHexLength] == '_' && IsLowerHex(id) ? id.ToString() : null;
    }

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>
    /// Equal hashes, compared without an early exit, so timing tells nothing about how close a guess was. On the
    /// stack: this runs on every request.
    /// </summary>
    public static bool HashMatches(string token, string? expectedHash)
    {
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        if (expectedHash is null || token.Length > MaxKeyLength
            || Convert.FromHexString(expectedHash, expected, out _, out var written) != System.Buffers.OperationStatus.Done || written != expected.Length)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[MaxKeyLength * 3];
        Span<byte> actual = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(token, utf8)], actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>For a configured secret (the bootstrap key): hashing both sides first makes the comparison length-blind.</summary>
    public static bool SameSecret(string token, string configured) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));

    private static bool IsLowerHex(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }

        return true;
    }
}
