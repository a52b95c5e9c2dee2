"""ISO 4217 codes of currencies in circulation (funds, metals and test codes left out)."""

ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP
    MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR
    RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER
    ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a readable block of codes
)


def is_currency(code: str) -> bool:
    return code in ISO_4217


def currency_error(code: str) -> str | None:
    """Why `code` (already upper-cased) is not accepted, or None when it is."""
    if not code:
        return "Enter a currency code such as EUR."
    if code not in ISO_4217:
        shown = code if len(code) <= 10 else code[:10] + "…"
        return f"“{shown}” is not an ISO 4217 currency code (e.g. EUR, USD, GBP)."
    return None
