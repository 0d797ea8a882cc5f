using Oms.Api.Security;
using Oms.Contracts.Security;

namespace Oms.Tests.Security;

public sealed class ApiKeyFormatTests
{
    [Fact]
    public void A_new_key_names_its_id_and_only_its_own_hash_matches()
    {
        var keyId = ApiKeyFormat.NewKeyId();
        var key = ApiKeyFormat.NewKey(keyId);
        var other = ApiKeyFormat.NewKey(keyId);

        Assert.Matches("^oms_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$", key);
        Assert.Equal(keyId, ApiKeyFormat.KeyIdOf(key));
        Assert.True(ApiKeyFormat.HashMatches(key, ApiKeyFormat.Hash(key)));
        Assert.False(ApiKeyFormat.HashMatches(other, ApiKeyFormat.Hash(key)));
        Assert.False(ApiKeyFormat.HashMatches(key, null));
        Assert.False(ApiKeyFormat.HashMatches(key, "not hex"));
        Assert.False(ApiKeyFormat.HashMatches(key, ApiKeyFormat.Hash(key)[..10]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("oms_")]
    [InlineData("oms_0123456789abcdef")]
    [InlineData("oms_0123456789ABCDEF_secret")]
    [InlineData("oms_0123456789abcdeg_secret")]
    [InlineData("oms_0123456789abcde_secret")]
    [InlineData("xyz_0123456789abcdef_secret")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.sig")]
    public void A_token_not_shaped_like_a_key_has_no_key_id(string token) => Assert.Null(ApiKeyFormat.KeyIdOf(token));

    [Fact]
    public void A_token_longer_than_any_key_is_refused_before_hashing() =>
        Assert.Null(ApiKeyFormat.KeyIdOf("oms_0123456789abcdef_" + new string('a', 500)));

    [Theory]
    [InlineData("a.b.c", true)]
    [InlineData("oms_0123456789abcdef_x.y.z", false)]
    [InlineData("a.b", false)]
    public void Only_three_part_tokens_go_to_the_jwt_handler(string token, bool jwt) => Assert.Equal(jwt, BearerToken.LooksLikeJwt(token));

    [Fact]
    public void A_remembered_secret_obeys_the_grace_period_exactly_as_a_hashed_one()
    {
        var now = DateTimeOffset.UtcNow;
        var keyId = ApiKeyFormat.NewKeyId();
        var (old, current, stranger) = (ApiKeyFormat.NewKey(keyId), ApiKeyFormat.NewKey(keyId), ApiKeyFormat.NewKey(keyId));
        var key = new CachedKey(new ApiKeyRecord(keyId, "n", ApiRole.Integration, [], [], now, null, "test",
            ApiKeyFormat.Hash(current), ApiKeyFormat.Hash(old), now.AddSeconds(10)));

        // Twice each: the first verifies against the hash, the second against what was remembered.
        Assert.All(Enumerable.Range(0, 2), _ => Assert.True(key.Matches(current, now)));
        Assert.All(Enumerable.Range(0, 2), _ => Assert.True(key.Matches(old, now.AddSeconds(9))));
        Assert.False(key.Matches(old, now.AddSeconds(10)));
        Assert.False(key.Matches(stranger, now));
        Assert.False(key.Matches(current[..^1], now));
        Assert.True(key.Matches(current, now.AddDays(1)));
    }
}
