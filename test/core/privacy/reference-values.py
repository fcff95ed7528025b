# Independent reference for the fractional-order RDP values in accountant.test.ts: direct numerical integration
# of A_α = E_{x~N(0,σ²)}[(μ(x)/μ0(x))^α], μ = (1−q)N(0,σ²) + qN(1,σ²) (Mironov, Talwar, Zhang 2019, §3),
# at 40 significant digits with mpmath. Run: python3 test/core/privacy/reference-values.py
import mpmath as mp

mp.mp.dps = 40


def rdp(q, sigma, alpha, queries):
    q, s, a = mp.mpf(q), mp.mpf(sigma), mp.mpf(alpha)
    mu0 = lambda x: mp.npdf(x, 0, s)
    mu = lambda x: (1 - q) * mu0(x) + q * mp.npdf(x, 1, s)
    integral = mp.quad(lambda x: mu0(x) * (mu(x) / mu0(x)) ** a, [-mp.inf, -20, 0, 1, 20, 60, mp.inf])
    return queries * mp.log(integral) / (a - 1)


for alpha in [1.5, 2.5, 5, 50]:
    print(alpha, mp.nstr(rdp(0.01, 2.5, alpha, 50), 16))
