"""Bilingual (English / 中文) requests to suppliers for the SEE of purchased precursors.

IR (EU) 2023/1773 Annex III asks operators of complex goods for the specific
embedded emissions of purchased precursors from their producers; where none are
given, default values are used, which count as estimates. These templates ask a
supplier for exactly the fields the communication and the quarterly report need.
"""

from __future__ import annotations

from datetime import date

from zeropark.cbam.installation import Installation, PurchasedPrecursor

_TEMPLATE = """\
Subject / 主题: CBAM embedded-emissions data request — {cn} ({period}) / CBAM 隐含排放数据请求

Dear {supplier},
尊敬的 {supplier}：

{operator} (installation {installation_id}, {city}, {country}) uses your product
CN {cn} ("{description}") to make goods exported to the European Union. Under the EU Carbon
Border Adjustment Mechanism (Regulation (EU) 2023/956; Implementing Regulation (EU)
2023/1773, Annex III) we must report the emissions embedded in these precursors.
Please send, for deliveries in {period}:

{operator}（设施编号 {installation_id}，{city}）使用贵司产品
CN {cn}（"{description}"）生产出口欧盟的商品。根据欧盟碳边境调节机制
（CBAM，法规 (EU) 2023/956 及实施条例 (EU) 2023/1773 附件三），
我方须报告这些前体中的隐含排放。请提供 {period} 期间供货的以下数据：

 1. Installation name, ID, address and production route (e.g. BF/BOF, scrap/EAF)
    生产设施名称、编号、地址及生产路线（如高炉-转炉、废钢-电炉）
 2. Specific direct embedded emissions, SEE direct [t CO2e per t of product]
    单位产品直接隐含排放（SEE 直接）[吨二氧化碳当量/吨产品]
 3. Specific indirect embedded emissions, SEE indirect [t CO2e/t], the electricity consumed
    [MWh/t] and the source of the electricity emission factor
    单位产品间接隐含排放（SEE 间接）[吨二氧化碳当量/吨]、单位产品耗电量
    [兆瓦时/吨] 及电力排放因子来源
 4. Whether the values are measured (actual) or default values, and the reporting period they
    cover; the share of estimates if any
    数据为实测值还是默认值、所覆盖的报告期，以及估算数据所占比例
 5. Any carbon price due in the country of production for these emissions (instrument,
    amount, currency) — e.g. China national ETS
    生产国针对这些排放应付的碳价（工具、金额、币种），如全国碳市场
 6. The qualifying parameters of the product where required (e.g. alloy content)
    产品所需的资格参数（如合金含量）

If you have a completed CBAM communication template (Excel) of the European Commission,
sending it answers all of the above.
如贵司已填写欧盟委员会的 CBAM 通报模板（Excel），直接发送即可。

Without these data we must use the EU default value for CN {cn} ({default_note}),
which is usually higher than actual emissions.
如未收到数据，我方将按欧盟默认值计算（{default_note}），该值通常高于实际排放。

Please reply by {due} to {contact} <{email}>.
请于 {due} 前回复至 {contact} <{email}>。

Kind regards / 此致敬礼
{contact}, {operator}
"""


def supplier_request(installation: Installation, precursor: PurchasedPrecursor, *,
                     due: date | None = None, year: int | None = None) -> str:
    """A bilingual request for one purchased precursor's SEE.

    Parameters
    ----------
    installation : Installation
        The requesting installation (operator, contact).
    precursor : PurchasedPrecursor
    due : datetime.date, optional
        Reply date (default: 30 days after the period end).
    year : int, optional
        Year of the default value quoted (default: the period's year).

    Returns
    -------
    str
        Plain text (UTF-8), English and Chinese paragraph by paragraph.
    """
    from datetime import timedelta

    from zeropark.cbam.defaults import default_value
    from zeropark.cbam.goods import lookup_good
    from zeropark.errors import InputError

    good = lookup_good(precursor.cn_code)
    year = year or installation.period_start.year
    try:
        value = default_value(precursor.cn_code, precursor.country, year=year)
        shown = value.marked_up_t_per_t or value.total_t_per_t
        default_note = (f"{shown:.3f} t CO2e/t, IR (EU) 2025/2621"
                        + (f" incl. {year} mark-up" if value.marked_up_t_per_t else ""))
    except InputError:
        default_note = "IR (EU) 2025/2621"
    op = installation.operator
    return _TEMPLATE.format(
        cn=good.cn_display, description=good.description, supplier=precursor.supplier
        or "supplier", operator=op.name, installation_id=installation.installation_id,
        city=installation.address.city, country=installation.address.country,
        period=f"{installation.period_start} – {installation.period_end}",
        default_note=default_note, contact=op.contact_name or op.name,
        email=op.email or "-",
        due=due or installation.period_end + timedelta(days=30))


def supplier_requests(installation: Installation, *, only_missing: bool = True
                      ) -> dict[str, str]:
    """Requests for every purchased precursor (by default only those without supplier SEE).

    Returns
    -------
    dict
        precursor id → request text.
    """
    return {p.precursor_id: supplier_request(installation, p)
            for p in installation.purchased_precursors
            if not only_missing or p.see_direct_t_per_t is None}
