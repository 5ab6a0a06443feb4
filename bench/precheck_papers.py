"""Papers for the pre-check's corpus: random but valid identifiers and names, and the documents drawn with
Pillow in WenQuanYi Micro Hei (the font the product ships): the 2019 营业执照 副本, the second-generation
居民身份证 front, the 保安服务许可证, a unit's rules page ending with its red seal, a blank sheet.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont
from stdnum.cn import ric, uscc

from flows.filing.identifiers import organisation_check_char

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REGIONS = ("650102", "650103", "650104", "650105", "650106", "650109", "650202", "650203", "650402",
           "650502", "652301", "652801", "652901", "653101", "653201", "654002", "654202", "654301")
PLACES = ("乌鲁木齐", "克拉玛依", "吐鲁番", "哈密", "昌吉", "博乐", "库尔勒", "阿克苏", "喀什", "和田",
          "伊宁", "塔城", "阿勒泰", "石河子", "奎屯", "五家渠")
BRANDS = ("安居", "盾安", "天山", "丝路", "金桥", "瑞丰", "恒泰", "华信", "博远", "雪莲", "昆仑", "胡杨",
          "新锐", "嘉禾", "鸿运", "明珠", "宏达", "康泰", "泰和", "锦程", "远航", "众诚", "长安", "天润",
          "晨光", "祥和", "正阳", "中天", "汇通", "万邦", "广源", "绿洲")
TRADES = ("物业服务", "保安服务", "商贸", "酒店管理", "物流", "建设工程", "能源科技", "餐饮管理", "农业开发",
          "电力工程", "房地产开发", "信息技术", "环境卫生", "医疗器械")
FORMS = ("有限公司", "有限责任公司", "股份有限公司")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华建国立新文斌志红玉兰云飞海燕鹏辉晓东婷雪梅金龙"
UYGHUR = ("艾合买提", "买买提", "阿不都", "热依拉", "古丽", "努尔", "吐尔逊", "阿依古丽", "肉孜", "帕提曼",
          "依明", "热合曼", "米娜瓦尔", "阿迪力")
NATIONS = ("汉", "维吾尔", "哈萨克", "回", "蒙古", "柯尔克孜", "锡伯")
STREETS = ("解放北路", "人民路", "友好南路", "北京南路", "新华北路", "长江路", "黄河路", "天山路", "光明路",
           "建设路", "团结路", "和平南路", "幸福路", "迎宾路")
TYPES = ("有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）", "其他有限责任公司",
         "股份有限公司（非上市、自然人投资或控股）")
SCOPES = ("一般项目：物业管理；停车场服务；家政服务；园林绿化工程施工；专业保洁、清洗、消毒服务；"
          "住宅水电安装维护服务。（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
          "许可项目：保安服务。（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门"
          "批准文件或许可证件为准）一般项目：安全技术防范系统设计施工服务；安全咨询服务。",
          "一般项目：酒店管理；餐饮管理；会议及展览服务；日用百货销售；停车场服务；物业管理。")
RULES_TITLES = ("保安服务管理制度", "岗位责任制度", "保安员管理制度", "保安员岗位职责", "变更申请书",
                "股东会决议", "撤销备案申请书")
RULE_SENTENCES = ("保安员应当遵守国家法律法规和本单位的各项规章制度，服从管理，听从指挥。",
                  "保安员上岗时应当穿着统一的保安服装，佩戴保安服务标志，保持良好的仪容仪表。",
                  "门卫岗位负责来访人员、车辆的查验和登记工作，严禁无关人员进入守护区域。",
                  "巡逻岗位应当按照规定的路线和时间进行巡查，发现可疑情况及时报告并妥善处置。",
                  "单位定期对保安员进行法律知识、职业道德和业务技能培训，培训情况记录在案。",
                  "保安员不得限制他人人身自由，不得搜查他人身体或者扣押他人合法证件、财产。",
                  "交接班时应当认真清点物品，填写值班记录，做到手续清楚、责任明确。",
                  "发生火灾、盗窃等突发事件时，保安员应当立即报警，并采取措施保护现场。",
                  "本制度由单位保卫部门负责解释，自印发之日起施行。")

RED = (200, 28, 36)
INK = (25, 25, 30)


@dataclass(frozen=True)
class Company:
    name: str
    credit_code: str
    representative: str
    address: str
    licence_number: str


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str
    sex: str
    nation: str
    birth: date
    address: str


# ------------------------------------------------------------------ identifiers and names
def random_credit_code(rng: random.Random) -> str:
    """A unified social credit code of a Xinjiang company with both check characters right."""
    body = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
    head = "91" + rng.choice(REGIONS) + body + organisation_check_char(body)
    return head + uscc.calc_check_digit(head)


def random_id_number(rng: random.Random, birth: date, male: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if male else 0)
    head = rng.choice(REGIONS) + f"{birth:%Y%m%d}" + f"{rng.randrange(0, 10)}{seq:02d}"
    return head + ric.calc_check_digit(head + "0")  # stdnum wants a number with a check digit in place


def random_person_name(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return f"{rng.choice(UYGHUR)}·{rng.choice(UYGHUR)}"
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def random_address(rng: random.Random) -> str:
    return (f"新疆{rng.choice(PLACES)}市{rng.choice(('天山区', '沙依巴克区', '新市区', '水磨沟区', '高新区'))}"
            f"{rng.choice(STREETS)}{rng.randrange(1, 400)}号")


def random_company(rng: random.Random) -> Company:
    name = f"{rng.choice(PLACES)}{rng.choice(BRANDS)}{rng.choice(TRADES)}{rng.choice(FORMS)}"
    year = rng.randrange(2010, 2025)
    licence = f"新公保服{year}{rng.randrange(1, 400):04d}号"
    return Company(name=name, credit_code=random_credit_code(rng), representative=random_person_name(rng),
                   address=random_address(rng), licence_number=licence)


def random_person(rng: random.Random) -> Person:
    birth = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 42))
    male = rng.random() < 0.5
    return Person(name=random_person_name(rng), id_number=random_id_number(rng, birth, male),
                  sex="男" if male else "女", nation=rng.choice(NATIONS), birth=birth, address=random_address(rng))


# ------------------------------------------------------------------ drawing
@cache
def _font_path() -> str:
    return str(resources.files("paperang_p2_fonts_cjk").joinpath("fonts", "wqy-microhei.ttc"))


@cache
def font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(_font_path(), px)


def _mm(dpi: int) -> float:
    return dpi / 25.4


def _spaced(text: str, draw: ImageDraw.ImageDraw, xy: tuple[float, float], px: int, gap: float,
            fill: tuple[int, int, int]) -> None:
    x, y = xy
    for char in text:
        draw.text((x, y), char, font=font(px), fill=fill)
        x += draw.textlength(char, font=font(px)) + gap


def _wrap(draw: ImageDraw.ImageDraw, text: str, px: int, width: float) -> list[str]:
    lines, line = [], ""
    for char in text:
        if draw.textlength(line + char, font=font(px)) > width:
            lines.append(line)
            line = char
        else:
            line += char
    return [*lines, line] if line else lines


def seal(rng: random.Random, text: str, diameter_px: int, *, star: bool = True, bottom: str = "") -> Image.Image:
    """A round red seal (text along the rim, a star in the middle) as an RGBA image with uneven ink."""
    size = diameter_px
    layer = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(layer)
    ring = max(3, size // 28)
    draw.ellipse((ring, ring, size - ring, size - ring), outline=255, width=ring)
    radius = size / 2 - ring * 3.2
    px = max(10, int(size * 0.12))
    chars = list(text)
    span = min(250.0, 16.0 * len(chars) + 40)  # degrees of the arc the text takes
    for index, char in enumerate(chars):
        angle = math.radians(-90 - span / 2 + span * (index + 0.5) / len(chars))
        glyph = Image.new("L", (px * 2, px * 2), 0)
        ImageDraw.Draw(glyph).text((px / 2, px / 2), char, font=font(px), fill=255)
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        cx = size / 2 + (radius - px / 2) * math.cos(angle)
        cy = size / 2 + (radius - px / 2) * math.sin(angle)
        layer.paste(255, (int(cx - px), int(cy - px)), glyph)
    if star:
        r = size * 0.14
        points = []
        for k in range(10):
            rr = r if k % 2 == 0 else r * 0.4
            a = math.radians(-90 + 36 * k)
            points.append((size / 2 + rr * math.cos(a), size / 2 + rr * math.sin(a)))
        draw.polygon(points, fill=255)
    if bottom:
        small = max(8, int(size * 0.08))
        width = draw.textlength(bottom, font=font(small))
        draw.text(((size - width) / 2, size * 0.68), bottom, font=font(small), fill=255)
    # Uneven ink: some pressure, some paper showing through.
    noise = Image.effect_noise((size, size), 60).filter(ImageFilter.GaussianBlur(2))
    alpha = ImageChops.multiply(layer, noise.point(lambda v: min(255, 120 + v)))
    alpha = alpha.point(lambda v: int(v * rng.uniform(0.75, 0.95)))
    out = Image.new("RGBA", (size, size), (*RED, 0))
    out.putalpha(alpha)
    return out.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BICUBIC)


def _stamp(page: Image.Image, stamp: Image.Image, center: tuple[float, float]) -> None:
    """Press a seal onto the page: red ink multiplies with what is printed underneath."""
    x, y = int(center[0] - stamp.width / 2), int(center[1] - stamp.height / 2)
    ink = Image.new("RGB", page.size, (255, 255, 255))
    ink.paste(stamp.convert("RGB"), (x, y), stamp)
    page.paste(ImageChops.multiply(page, ink))


def business_licence(rng: random.Random, company: Company, *, dpi: int = 300, sealed: bool = True) -> Image.Image:
    """The 副本 of a 2019-style business licence, A4 portrait."""
    mm = _mm(dpi)
    w, h = int(210 * mm), int(297 * mm)
    page = Image.new("RGB", (w, h), (252, 250, 244))
    draw = ImageDraw.Draw(page)
    frame = (10 * mm, 10 * mm, w - 10 * mm, h - 10 * mm)
    draw.rectangle(frame, outline=(170, 120, 60), width=int(1.6 * mm))
    draw.rectangle((13 * mm, 13 * mm, w - 13 * mm, h - 13 * mm), outline=(190, 150, 90), width=int(0.4 * mm))
    draw.text((22 * mm, 24 * mm), "统一社会信用代码", font=font(int(3.6 * mm)), fill=INK)
    draw.text((22 * mm, 30 * mm), company.credit_code, font=font(int(4.6 * mm)), fill=INK)
    qr = Image.frombytes("L", (25, 25), bytes(rng.choice((0, 255)) for _ in range(25 * 25))).convert("RGB")
    page.paste(qr.resize((int(26 * mm), int(26 * mm)), Image.Resampling.NEAREST), (int(w - 46 * mm), int(22 * mm)))
    draw.text((w - 52 * mm, 50 * mm), "扫描二维码登录“国家企业信用", font=font(int(2.2 * mm)), fill=INK)
    emblem = (w / 2 - 11 * mm, 22 * mm, w / 2 + 11 * mm, 44 * mm)
    draw.ellipse(emblem, fill=(214, 170, 60), outline=(190, 40, 40), width=int(1.2 * mm))
    _spaced("营业执照", draw, (w / 2 - 48 * mm, 52 * mm), int(17 * mm), 9 * mm, INK)
    draw.text((w / 2 - 11 * mm, 74 * mm), "（副　本）", font=font(int(5 * mm)), fill=INK)
    draw.text((w / 2 - 30 * mm, 83 * mm), f"证照编号：{rng.randrange(10**19, 10**20)}",
              font=font(int(3 * mm)), fill=INK)
    px = int(4.2 * mm)
    left = [("名　　称", company.name), ("类　　型", rng.choice(TYPES)), ("法定代表人", company.representative)]
    right = [("注册资本", f"{rng.choice((50, 100, 200, 300, 500, 1000))}万元人民币"),
             ("成立日期", f"{rng.randrange(2005, 2024)}年{rng.randrange(1, 13):02d}月{rng.randrange(1, 29):02d}日"),
             ("营业期限", "长期"), ("住　　所", company.address)]
    y = 100 * mm
    for label, value in left:
        draw.text((22 * mm, y), label, font=font(px), fill=INK)
        lines = _wrap(draw, value, px, 64 * mm)
        for line in lines:
            draw.text((48 * mm, y), line, font=font(px), fill=INK)
            y += 7.5 * mm
        y += 3 * mm
    draw.text((22 * mm, y), "经营范围", font=font(px), fill=INK)
    for line in _wrap(draw, rng.choice(SCOPES), int(3.6 * mm), 64 * mm)[:9]:
        draw.text((48 * mm, y), line, font=font(int(3.6 * mm)), fill=INK)
        y += 6 * mm
    y = 100 * mm
    for label, value in right:
        draw.text((118 * mm, y), label, font=font(px), fill=INK)
        for line in _wrap(draw, value, px, 44 * mm):
            draw.text((140 * mm, y), line, font=font(px), fill=INK)
            y += 7.5 * mm
        y += 3 * mm
    draw.text((125 * mm, 225 * mm), "登记机关", font=font(int(5 * mm)), fill=INK)
    issued = f"{rng.randrange(2019, 2026)}年{rng.randrange(1, 13):02d}月{rng.randrange(1, 29):02d}日"
    draw.text((125 * mm, 252 * mm), issued, font=font(int(4.2 * mm)), fill=INK)
    if sealed:
        authority = f"{rng.choice(PLACES)}市市场监督管理局"
        _stamp(page, seal(rng, authority, int(42 * mm)), (165 * mm, 238 * mm))
    draw.text((22 * mm, 268 * mm), "国家企业信用信息公示系统网址：http://www.gsxt.gov.cn",
              font=font(int(2.8 * mm)), fill=INK)
    draw.text((22 * mm, 273 * mm), "市场主体应当于每年1月1日至6月30日通过国家企业信用信息公示系统报送公示年度报告。",
              font=font(int(2.8 * mm)), fill=INK)
    return page


def id_card(rng: random.Random, person: Person, *, dpi: int = 300) -> Image.Image:
    """The front of a second-generation resident ID card (85.6 × 54 mm) on an A5-ish scanned sheet."""
    mm = _mm(dpi)
    cw, ch = int(85.6 * mm), int(54 * mm)
    card = Image.new("RGB", (cw, ch), (232, 238, 242))
    draw = ImageDraw.Draw(card)
    for k in range(0, cw, int(2.5 * mm)):  # the guilloche-like background
        draw.arc((k - 30 * mm, -20 * mm, k + 30 * mm, 40 * mm), 0, 180, fill=(214, 224, 232), width=2)
    label, value = (90, 120, 160), INK
    px, vx = int(2.9 * mm), int(3.3 * mm)
    draw.text((6 * mm, 7 * mm), "姓 名", font=font(px), fill=label)
    draw.text((17 * mm, 6.6 * mm), person.name, font=font(int(3.8 * mm)), fill=value)
    draw.text((6 * mm, 14 * mm), "性 别", font=font(px), fill=label)
    draw.text((17 * mm, 13.7 * mm), person.sex, font=font(vx), fill=value)
    draw.text((27 * mm, 14 * mm), "民 族", font=font(px), fill=label)
    draw.text((37 * mm, 13.7 * mm), person.nation, font=font(vx), fill=value)
    draw.text((6 * mm, 20.5 * mm), "出 生", font=font(px), fill=label)
    b = person.birth
    draw.text((17 * mm, 20.2 * mm), f"{b.year}  年  {b.month}  月  {b.day}  日", font=font(vx), fill=value)
    draw.text((6 * mm, 27 * mm), "住 址", font=font(px), fill=label)
    for n, line in enumerate(_wrap(draw, person.address, vx, 38 * mm)[:3]):
        draw.text((17 * mm, 26.7 * mm + n * 4.6 * mm), line, font=font(vx), fill=value)
    draw.text((6 * mm, 45 * mm), "公民身份号码", font=font(px), fill=label)
    _spaced(person.id_number, draw, (27 * mm, 44.4 * mm), int(4.0 * mm), 0.55 * mm, value)
    photo = (58 * mm, 6 * mm, 81 * mm, 37 * mm)
    draw.rectangle(photo, fill=(244, 246, 248))
    draw.ellipse((63 * mm, 10 * mm, 76 * mm, 24 * mm), fill=(120, 110, 100))
    draw.chord((59 * mm, 25 * mm, 80 * mm, 48 * mm), 180, 360, fill=(70, 70, 90))
    mask = Image.new("L", card.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, cw - 1, ch - 1), radius=int(3.2 * mm), fill=255)
    sheet = Image.new("RGB", (int(120 * mm), int(80 * mm)), (250, 250, 250))
    sheet.paste(card, (int(17 * mm), int(13 * mm)), mask)
    ImageDraw.Draw(sheet).rounded_rectangle((17 * mm, 13 * mm, 17 * mm + cw, 13 * mm + ch), radius=int(3.2 * mm),
                                            outline=(180, 185, 190), width=2)
    return sheet


def security_licence(rng: random.Random, company: Company, *, dpi: int = 300, sealed: bool = True) -> Image.Image:
    """A 保安服务许可证, A4 landscape."""
    mm = _mm(dpi)
    w, h = int(297 * mm), int(210 * mm)
    page = Image.new("RGB", (w, h), (250, 248, 242))
    draw = ImageDraw.Draw(page)
    draw.rectangle((10 * mm, 10 * mm, w - 10 * mm, h - 10 * mm), outline=(40, 70, 140), width=int(1.5 * mm))
    _spaced("保安服务许可证", draw, (w / 2 - 70 * mm, 22 * mm), int(14 * mm), 4 * mm, INK)
    draw.text((w - 110 * mm, 44 * mm), f"编号：{company.licence_number}", font=font(int(5 * mm)), fill=INK)
    px = int(5 * mm)
    rows = [("公司名称", company.name), ("住　　所", company.address), ("法定代表人", company.representative),
            ("注册资本", f"{rng.choice((100, 200, 500, 1000))}万元"),
            ("服务范围", "门卫、巡逻、守护、随身护卫、安全检查、安全技术防范")]
    y = 62 * mm
    for label, value in rows:
        draw.text((30 * mm, y), label, font=font(px), fill=INK)
        draw.text((70 * mm, y), value, font=font(px), fill=INK)
        y += 14 * mm
    draw.text((190 * mm, 150 * mm), "发证机关", font=font(px), fill=INK)
    draw.text((190 * mm, 175 * mm), f"{rng.randrange(2010, 2026)}年{rng.randrange(1, 13)}月{rng.randrange(1, 29)}日",
              font=font(px), fill=INK)
    if sealed:
        _stamp(page, seal(rng, "新疆维吾尔自治区公安厅", int(40 * mm)), (230 * mm, 160 * mm))
    return page


def rules_page(rng: random.Random, company: Company, *, dpi: int = 300, sealed: bool = True) -> Image.Image:
    """One A4 page of a unit's rules (or application), ending with the unit's name, date and seal."""
    mm = _mm(dpi)
    w, h = int(210 * mm), int(297 * mm)
    page = Image.new("RGB", (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    title = rng.choice(RULES_TITLES)
    tw = draw.textlength(title, font=font(int(7 * mm)))
    draw.text(((w - tw) / 2, 28 * mm), title, font=font(int(7 * mm)), fill=INK)
    y = 48 * mm
    for n in range(rng.randrange(6, 10)):
        text = f"第{'一二三四五六七八九十'[n]}条　" + rng.choice(RULE_SENTENCES)
        for line in _wrap(draw, text, int(4.2 * mm), 160 * mm):
            draw.text((25 * mm, y), line, font=font(int(4.2 * mm)), fill=INK)
            y += 8 * mm
        y += 2 * mm
    y = max(y + 10 * mm, 220 * mm)
    draw.text((110 * mm, y), company.name, font=font(int(4.2 * mm)), fill=INK)
    draw.text((125 * mm, y + 10 * mm), f"{rng.randrange(2023, 2027)}年{rng.randrange(1, 13)}月{rng.randrange(1, 29)}日",
              font=font(int(4.2 * mm)), fill=INK)
    if sealed:
        _stamp(page, seal(rng, company.name, int(40 * mm)), (140 * mm, y + 6 * mm))
    return page


def blank_page(rng: random.Random, *, dpi: int = 300) -> Image.Image:
    """A scan of an empty sheet: paper tone, a little noise, perhaps a faint edge shadow."""
    mm = _mm(dpi)
    w, h = int(210 * mm), int(297 * mm)
    tone = rng.randrange(236, 252)
    page = Image.new("L", (w // 4, h // 4), tone)
    page = Image.blend(page, Image.effect_noise(page.size, 8).point(lambda v: tone + (v - 128) // 8), 0.5)
    return page.resize((w, h)).convert("RGB")
