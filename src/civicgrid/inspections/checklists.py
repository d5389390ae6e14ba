"""The checklists the platform ships, as data here and as XLSForm workbooks
built from it with openpyxl: the same files an office would author in Excel,
read back through the same parser as an upload. ``workbook(code)`` is the
file (also offered as a download to edit and upload again)."""

import io

from openpyxl import Workbook

from civicgrid.inspections.models import BusinessType as T

# Each item is answered from the list "result": 合格 pass, 不合格 fail, 不适用 na.
# A fail asks for a photo (relevant) and a note of what was found.
SHIPPED = {
    "food_safety": {
        "title": "食品安全检查表",
        "kinds": [T.RESTAURANT, T.SUPERMARKET, T.MARKET_STALL, T.HOTEL],
        "items": [
            ("licence_shown", "食品经营许可证是否在有效期内并公示"),
            ("health_certs", "从业人员健康证明是否齐全有效"),
            ("quarantine", "肉类检疫合格证明是否齐全"),
            ("cold_storage", "冷藏冷冻设施是否正常运转"),
            ("expired_food", "是否无过期、变质食品"),
            ("raw_cooked", "生熟食品是否分开存放"),
            ("purchase_records", "进货查验记录是否完整"),
        ],
        "extra": [
            (
                "decimal",
                "cold_temp",
                "冷藏温度(℃)",
                "${cold_storage} != 'na'",
                ". <= 8 and . >= -30",
                "冷藏温度超出范围(应不高于8℃)",
            ),
        ],
    },
    "drugs": {
        "title": "药品经营检查表",
        "kinds": [T.PHARMACY],
        "items": [
            ("licence_shown", "药品经营许可证是否在有效期内并公示"),
            ("pharmacist", "执业药师是否在岗"),
            ("prescription", "处方药是否凭处方销售"),
            ("sale_records", "药品购销记录是否完整"),
            ("storage_temp", "阴凉库温湿度是否符合要求"),
            ("expired_drugs", "是否无过期药品"),
        ],
        "extra": [],
    },
    "gas_safety": {
        "title": "燃气安全检查表",
        "kinds": [T.RESTAURANT, T.HOTEL, T.MARKET_STALL],
        "items": [
            ("appliance", "燃气灶具是否有熄火保护装置"),
            ("hose", "燃气软管是否老化、超长或穿墙"),
            ("alarm", "可燃气体报警器是否安装并有效"),
            ("cylinder_store", "气瓶是否直立存放且远离火源"),
            ("valve", "用气结束是否关闭阀门"),
        ],
        "extra": [],
    },
    "special_equipment": {
        "title": "特种设备检查表",
        "kinds": [T.SUPERMARKET, T.HOTEL, T.RESTAURANT, T.JEWELLERY],
        "items": [
            ("registered", "特种设备是否办理使用登记"),
            ("inspected", "是否在定期检验有效期内"),
            ("operator", "作业人员是否持证上岗"),
            ("maintenance", "维护保养记录是否完整"),
            ("emergency", "是否有应急预案并演练"),
        ],
        "extra": [],
    },
    "measuring": {
        "title": "计量器具检查表",
        "kinds": [T.SUPERMARKET, T.MARKET_STALL, T.JEWELLERY, T.FUEL_STATION, T.PHARMACY],
        "items": [
            ("verified", "强制检定计量器具是否在检定有效期内"),
            ("seal", "检定封印是否完好"),
            ("accuracy", "抽检称量是否准确(无缺斤短两)"),
        ],
        "extra": [
            ("integer", "instruments", "在用计量器具数量", "", ". >= 0", "数量不能为负"),
        ],
    },
    "prices": {
        "title": "价格检查表",
        "kinds": [T.RESTAURANT, T.SUPERMARKET, T.PHARMACY, T.JEWELLERY, T.MARKET_STALL],
        "items": [
            ("price_tags", "是否明码标价"),
            ("tag_matches", "标价与结算价格是否一致"),
            ("holiday_prices", "节日期间是否无哄抬价格"),
        ],
        "extra": [],
    },
}
VERSION = "2026.1"
RESULT = [("pass", "合格"), ("fail", "不合格"), ("na", "不适用")]
SURVEY_HEADER = ["type", "name", "label", "hint", "required", "relevant", "constraint",
                 "constraint_message"]  # fmt: skip


def workbook(code: str) -> bytes:
    """The shipped checklist ``code`` as an XLSForm .xlsx file."""
    spec = SHIPPED[code]
    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(SURVEY_HEADER)
    for name, label in spec["items"]:
        survey.append(["select_one result", name, label, "", "yes", "", "", ""])
        survey.append(["image", f"{name}_photo", "问题照片", "", "",
                       f"${{{name}}} = 'fail'", "", ""])  # fmt: skip
        survey.append(["text", f"{name}_note", "问题描述", "", "yes",
                       f"${{{name}}} = 'fail'", "", ""])  # fmt: skip
    for kind, name, label, relevant, constraint, message in spec["extra"]:
        survey.append([kind, name, label, "", "", relevant, constraint, message])
    survey.append(["text", "remark", "其他情况", "", "", "", "", ""])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    for name, label in RESULT:
        choices.append(["result", name, label])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append([spec["title"], code, VERSION])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
